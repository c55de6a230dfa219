import type { Db } from '../services/db/database.js';
import { blockSpan, summaryLevels } from '../services/metrics/block-summary.js';

/** One row of point_blocks, as a plain object. */
export type BlockRow = Record<string, number | null>;

/**
 * The rows of point_blocks that differ from a recomputation straight from the points (every level
 * from the points themselves, not from the level below), in both directions; [] when they agree.
 * Of one run when `runKey` is given.
 */
export function summaryMismatches(db: Db, runKey?: number, limit = 5): { stored: BlockRow[]; expected: BlockRow[] } {
  const only = runKey === undefined ? '' : `WHERE run_key = ${Math.trunc(runKey)}`;
  const levels = summaryLevels.map((l) => `SELECT ${l} AS level, ${blockSpan(l)} AS span`).join(' UNION ALL ');
  const expected = `SELECT p.run_key, p.series_id, l.level, p.step / l.span AS block,
      sum(p.archived = 0) AS n,
      min(CASE WHEN p.archived = 0 THEN p.step END) AS step_min, max(CASE WHEN p.archived = 0 THEN p.step END) AS step_max,
      min(CASE WHEN p.archived = 0 THEN p.value END) AS vmin, max(CASE WHEN p.archived = 0 THEN p.value END) AS vmax,
      count(*) AS n_all, min(p.step) AS step_min_all, max(p.step) AS step_max_all, min(p.value) AS vmin_all, max(p.value) AS vmax_all
    FROM (SELECT * FROM points ${only}) p CROSS JOIN (${levels}) l GROUP BY p.run_key, p.series_id, l.level, p.step / l.span`;
  const stored = `SELECT run_key, series_id, level, block, n, step_min, step_max, vmin, vmax,
      n_all, step_min_all, step_max_all, vmin_all, vmax_all FROM point_blocks ${only}`;
  return {
    stored: db.prepare(`${stored} EXCEPT ${expected} LIMIT ${limit}`).all() as BlockRow[],
    expected: db.prepare(`${expected} EXCEPT ${stored} LIMIT ${limit}`).all() as BlockRow[],
  };
}

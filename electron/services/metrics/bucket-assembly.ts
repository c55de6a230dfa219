import type { MetricBucket } from '../../contract/metrics.js';
import type { Db } from '../db/database.js';
import { blockSpan, summaryLevels } from './block-summary.js';

/** Which points of which series a bucket query reads. */
export interface BucketScope {
  runKey: number;
  seriesId: number;
  /** 1 = archived points too. */
  all: 0 | 1;
}

interface Part {
  i: number;
  step_min: number | null;
  step_max: number | null;
  lo: number | null;
  hi: number | null;
  n: number;
}

const top: number = summaryLevels[summaryLevels.length - 1]!;

/**
 * Splits the steps [lo, hi] into whole blocks (coarsest first) and raw step ranges at the edges.
 * Appends [bucket, first, last] to pieces[level] (block numbers) or pieces[0] (steps).
 */
function cover(pieces: number[][][], bucket: number, lo: number, hi: number, level: number): void {
  if (lo > hi) return;
  if (level === 0) {
    pieces[0]!.push([bucket, lo, hi]);
    return;
  }
  const span = blockSpan(level);
  const first = Math.ceil(lo / span);
  const last = Math.floor((hi + 1) / span) - 1;
  if (first > last) {
    cover(pieces, bucket, lo, hi, level - 1);
    return;
  }
  pieces[level]!.push([bucket, first, last]);
  cover(pieces, bucket, lo, first * span - 1, level - 1);
  cover(pieces, bucket, (last + 1) * span, hi, level - 1);
}

/**
 * Min, max, count and last point per step bucket, assembled from the level-of-detail summaries
 * (table point_blocks) for the whole blocks inside each bucket and from the points for the steps at its
 * edges: one statement per level, each a loop over the pieces (passed as JSON) inside SQLite. The
 * answer equals a scan of every row of each bucket (seriesByRowScan), at a cost that depends on the
 * number of buckets, not of points.
 */
export class BucketAssembler {
  private readonly stmts;

  constructor(db: Db) {
    // The pieces are unpacked from JSON once into a materialised table (not once per row read).
    const pieces =
      'WITH j AS MATERIALIZED (SELECT value ->> 0 AS i, value ->> 1 AS a, value ->> 2 AS z FROM json_each(@pieces))';
    const blocks = (suffix: string) =>
      db.prepare(
        `${pieces} SELECT j.i, min(b.step_min${suffix}) AS step_min, max(b.step_max${suffix}) AS step_max,
           min(b.vmin${suffix}) AS lo, max(b.vmax${suffix}) AS hi, sum(b.n${suffix}) AS n
         FROM j CROSS JOIN point_blocks AS b
         WHERE b.run_key = @runKey AND b.series_id = @seriesId AND b.level = @level AND b.block BETWEEN j.a AND j.z
         GROUP BY j.i`,
      );
    this.stmts = {
      blocks: blocks(''),
      blocksAll: blocks('_all'),
      rows: db.prepare(
        `${pieces} SELECT j.i, min(p.step) AS step_min, max(p.step) AS step_max, min(p.value) AS lo, max(p.value) AS hi,
           count(*) AS n
         FROM j CROSS JOIN points AS p
         WHERE p.run_key = @runKey AND p.series_id = @seriesId AND p.step BETWEEN j.a AND j.z AND (@all OR p.archived = 0)
         GROUP BY j.i`,
      ),
      last: db.prepare(
        `SELECT j.value ->> 0 AS i, p.attempt, p.value, p.tokens, p.time
         FROM json_each(@steps) AS j CROSS JOIN points AS p
         WHERE p.run_key = @runKey AND p.series_id = @seriesId AND p.step = j.value ->> 1 AND (@all OR p.archived = 0)`,
      ),
    };
  }

  /**
   * The non-empty buckets of n over the steps [lo, hi]: bucket b holds the steps
   * [lo + floor(b * span / n), lo + floor((b + 1) * span / n)), span = hi - lo + 1.
   */
  buckets(scope: BucketScope, lo: number, hi: number, n: number): MetricBucket[] {
    const span = hi - lo + 1;
    const pieces: number[][][] = [[], ...summaryLevels.map(() => [])];
    for (let b = 0; b < n; b++) {
      const from = lo + Math.floor((b * span) / n);
      const to = lo + Math.floor(((b + 1) * span) / n) - 1;
      cover(pieces, b, from, to, top);
    }
    const stepMin: (number | null)[] = new Array(n).fill(null);
    const stepMax: (number | null)[] = new Array(n).fill(null);
    const min: (number | null)[] = new Array(n).fill(null);
    const max: (number | null)[] = new Array(n).fill(null);
    const count: number[] = new Array(n).fill(0);
    const add = (parts: Part[]): void => {
      for (const p of parts) {
        count[p.i] = count[p.i]! + p.n;
        if (p.step_min !== null && (stepMin[p.i] === null || p.step_min < stepMin[p.i]!)) stepMin[p.i] = p.step_min;
        if (p.step_max !== null && (stepMax[p.i] === null || p.step_max > stepMax[p.i]!)) stepMax[p.i] = p.step_max;
        if (p.lo !== null && (min[p.i] === null || p.lo < min[p.i]!)) min[p.i] = p.lo;
        if (p.hi !== null && (max[p.i] === null || p.hi > max[p.i]!)) max[p.i] = p.hi;
      }
    };
    const blocks = scope.all ? this.stmts.blocksAll : this.stmts.blocks;
    for (const level of summaryLevels) {
      if (pieces[level]!.length > 0)
        add(blocks.all({ ...scope, level, pieces: JSON.stringify(pieces[level]) }) as Part[]);
    }
    if (pieces[0]!.length > 0) add(this.stmts.rows.all({ ...scope, pieces: JSON.stringify(pieces[0]) }) as Part[]);

    // The point at each bucket's last step (the newest attempt's when several share it): its value,
    // and its tokens and time for charts plotted against those.
    const filled: number[] = [];
    for (let b = 0; b < n; b++) if (count[b]! > 0 && stepMax[b] !== null) filled.push(b);
    const lastOf = new Map<
      number,
      { attempt: number; value: number | null; tokens: number | null; time: number | null }
    >();
    const steps = JSON.stringify(filled.map((b) => [b, stepMax[b]]));
    for (const r of this.stmts.last.all({ ...scope, steps }) as {
      i: number;
      attempt: number;
      value: number | null;
      tokens: number | null;
      time: number | null;
    }[]) {
      const seen = lastOf.get(r.i);
      if (!seen || r.attempt > seen.attempt) lastOf.set(r.i, r);
    }
    return filled.map((b) => {
      const last = lastOf.get(b);
      return {
        stepMin: stepMin[b]!,
        stepMax: stepMax[b]!,
        min: min[b] ?? null,
        max: max[b] ?? null,
        last: last?.value ?? null,
        lastStep: stepMax[b]!,
        lastTokens: last?.tokens ?? null,
        lastTime: last?.time ?? null,
        count: count[b]!,
      };
    });
  }
}

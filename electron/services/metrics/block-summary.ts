import type { Db } from '../db/database.js';

/**
 * Level-of-detail summaries of the points (table `point_blocks`, migration 0003): a block at level L
 * covers the 16^L steps [block * 16^L, (block + 1) * 16^L - 1] and holds the count, first and last
 * step, and min and max value of its points, once for the points not archived and once for all.
 */
export const summaryLevels = [1, 2, 3, 4] as const;

/** Steps per block at `level` (16^level). */
export function blockSpan(level: number): number {
  return 16 ** level;
}

/** The newest level-1 block of one series being filled by the chunk being applied. */
export class BlockAccumulator {
  /** The block, or -1 when empty. */
  block = -1;
  n = 0;
  stepMin = 0;
  stepMax = 0;
  min: number | null = null;
  max: number | null = null;

  /** Counts a newly inserted point; hands the finished block to `out` when the point starts another. */
  add(step: number, value: number | null, seriesId: number, out: SummaryWriter): void {
    const block = Math.floor(step / 16);
    if (block !== this.block) {
      this.handTo(seriesId, out);
      this.block = block;
      this.n = 0;
      this.stepMin = step;
      this.stepMax = step;
      this.min = null;
      this.max = null;
    }
    this.n += 1;
    if (step < this.stepMin) this.stepMin = step;
    if (step > this.stepMax) this.stepMax = step;
    if (value !== null) {
      if (this.min === null || value < this.min) this.min = value;
      if (this.max === null || value > this.max) this.max = value;
    }
  }

  /** Hands the block (if any) to `out` and empties the accumulator. */
  handTo(seriesId: number, out: SummaryWriter): void {
    if (this.block >= 0) out.push(seriesId, this.block, this.n, this.stepMin, this.stepMax, this.min, this.max);
    this.block = -1;
  }
}

/** Fields of one pending level-1 summary in SummaryWriter's flat list. */
const stride = 7;

/**
 * Writes block summaries inside the caller's transaction: new points' level-1 blocks (collected per
 * chunk by BlockAccumulator) merged into every level with one upsert per block and level, and the
 * not-archived summaries recomputed after an archive.
 */
export class SummaryWriter {
  /** seriesId, block, n, stepMin, stepMax, min, max; repeated. */
  private pending: (number | null)[] = [];
  private readonly stmts;

  constructor(db: Db) {
    // A fresh row takes the new points' summary for both views; an existing one merges it in
    // (new points are never archived). Scalar min()/max() return NULL if an argument is NULL, hence coalesce.
    this.stmts = {
      upsert: db.prepare(
        `INSERT INTO point_blocks (run_key, series_id, level, block, n, step_min, step_max, vmin, vmax,
           n_all, step_min_all, step_max_all, vmin_all, vmax_all) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET
           n = n + excluded.n,
           step_min = min(coalesce(step_min, excluded.step_min), excluded.step_min),
           step_max = max(coalesce(step_max, excluded.step_max), excluded.step_max),
           vmin = min(coalesce(vmin, excluded.vmin), coalesce(excluded.vmin, vmin)),
           vmax = max(coalesce(vmax, excluded.vmax), coalesce(excluded.vmax, vmax)),
           n_all = n_all + excluded.n_all,
           step_min_all = min(step_min_all, excluded.step_min_all),
           step_max_all = max(step_max_all, excluded.step_max_all),
           vmin_all = min(coalesce(vmin_all, excluded.vmin_all), coalesce(excluded.vmin_all, vmin_all)),
           vmax_all = max(coalesce(vmax_all, excluded.vmax_all), coalesce(excluded.vmax_all, vmax_all))`,
      ),
      refreshLevel1: db.prepare(
        `UPDATE point_blocks AS b SET (n, step_min, step_max, vmin, vmax) = (
           SELECT count(*), min(p.step), max(p.step), min(p.value), max(p.value) FROM points p
           WHERE p.run_key = b.run_key AND p.series_id = b.series_id AND p.step BETWEEN b.block * 16 AND b.block * 16 + 15
             AND p.archived = 0)
         WHERE b.run_key = ? AND b.level = 1 AND b.block >= ?`,
      ),
      refreshLevel: db.prepare(
        `UPDATE point_blocks AS b SET (n, step_min, step_max, vmin, vmax) = (
           SELECT coalesce(sum(f.n), 0), min(f.step_min), max(f.step_max), min(f.vmin), max(f.vmax) FROM point_blocks f
           WHERE f.run_key = b.run_key AND f.series_id = b.series_id AND f.level = b.level - 1
             AND f.block BETWEEN b.block * 16 AND b.block * 16 + 15)
         WHERE b.run_key = ? AND b.level = ? AND b.block >= ?`,
      ),
    };
  }

  /** Queues the level-1 summary of points just inserted. */
  push(seriesId: number, block: number, n: number, stepMin: number, stepMax: number, min: number | null, max: number | null): void {
    this.pending.push(seriesId, block, n, stepMin, stepMax, min, max);
  }

  /** Drops what was queued (after a rollback). */
  discard(): void {
    this.pending = [];
  }

  /** Writes the queued summaries into every level. */
  flush(runKey: number): void {
    const p = this.pending;
    if (p.length === 0) return;
    this.pending = [];
    for (const level of summaryLevels) {
      const shift = blockSpan(level - 1);
      // Consecutive level-1 blocks of one series that fall in the same block of this level become one upsert.
      let series = -1;
      let block = -1;
      let n = 0;
      let stepMin = 0;
      let stepMax = 0;
      let min: number | null = null;
      let max: number | null = null;
      for (let i = 0; i <= p.length; i += stride) {
        const s = i < p.length ? (p[i] as number) : -2;
        const b = i < p.length ? Math.floor((p[i + 1] as number) / shift) : -2;
        if (s !== series || b !== block) {
          if (series >= 0) this.stmts.upsert.run(runKey, series, level, block, n, stepMin, stepMax, min, max, n, stepMin, stepMax, min, max);
          if (i >= p.length) break;
          series = s;
          block = b;
          n = 0;
          stepMin = p[i + 3] as number;
          stepMax = p[i + 4] as number;
          min = null;
          max = null;
        }
        n += p[i + 2] as number;
        stepMin = Math.min(stepMin, p[i + 3] as number);
        stepMax = Math.max(stepMax, p[i + 4] as number);
        const lo = p[i + 5] as number | null;
        const hi = p[i + 6] as number | null;
        if (lo !== null && (min === null || lo < min)) min = lo;
        if (hi !== null && (max === null || hi > max)) max = hi;
      }
    }
  }

  /** Recomputes the not-archived summaries of a run's blocks that reach past `afterStep`, level by level. */
  refreshAfterArchive(runKey: number, afterStep: number): void {
    this.stmts.refreshLevel1.run(runKey, Math.floor((afterStep + 1) / 16));
    for (const level of summaryLevels) {
      if (level > 1) this.stmts.refreshLevel.run(runKey, level, Math.floor((afterStep + 1) / blockSpan(level)));
    }
  }
}

import type { Db } from '../db/database.js';

/**
 * Level-of-detail summaries of the points (table `point_blocks`, migration `*_metric_summaries`): a block at level L
 * covers the blockSpan(L) steps [block * span, (block + 1) * span - 1] and holds the count, first and
 * last step, and min and max value of its points, once for the points not archived and once for all.
 */
export const summaryLevels = [1, 2, 3, 4] as const;

/**
 * Steps per block by level (level 0 = single steps): 32, 256, 4096, 65,536. Level 1 is 32 steps, not 16,
 * because its rows are most of what ingestion writes; a chart column's edges read up to 31 points more.
 */
const spans = [1, 32, 256, 4096, 65_536];

/** Steps per block at `level` (1 at level 0: single steps). */
export function blockSpan(level: number): number {
  const span = spans[level];
  if (span === undefined) throw new Error(`There is no summary level ${level}.`);
  return span;
}

const level1 = blockSpan(1);

/**
 * The newest level-1 block of one series being filled by the chunk being applied. Fields stay plain
 * doubles (no null), so updating them per point allocates nothing; `values` counts the non-null ones.
 */
export class BlockAccumulator {
  /** The block, or -1 when empty. */
  block = -1;
  n = 0;
  values = 0;
  stepMin = 0;
  stepMax = 0;
  min = 0;
  max = 0;

  /** Counts a newly inserted point; hands the finished block to `out` when the point starts another. */
  add(step: number, value: number | null, seriesId: number, out: SummaryWriter): void {
    const block = Math.floor(step / level1);
    if (block !== this.block) {
      this.handTo(seriesId, out);
      this.block = block;
      this.n = 0;
      this.values = 0;
      this.stepMin = step;
      this.stepMax = step;
    }
    this.n += 1;
    if (step < this.stepMin) this.stepMin = step;
    if (step > this.stepMax) this.stepMax = step;
    if (value !== null) {
      if (this.values === 0) {
        this.min = value;
        this.max = value;
      } else {
        if (value < this.min) this.min = value;
        if (value > this.max) this.max = value;
      }
      this.values += 1;
    }
  }

  /** Hands the block (if any) to `out` and empties the accumulator. */
  handTo(seriesId: number, out: SummaryWriter): void {
    if (this.block >= 0)
      out.push(
        seriesId,
        this.block,
        this.n,
        this.stepMin,
        this.stepMax,
        this.values > 0 ? this.min : Number.NaN,
        this.values > 0 ? this.max : Number.NaN,
      );
    this.block = -1;
  }
}

/** Fields of one pending level-1 summary in SummaryWriter's list: series, block, n, stepMin, stepMax, min, max. */
const stride = 7;

/**
 * Writes block summaries inside the caller's transaction: new points' level-1 blocks (collected per
 * chunk by BlockAccumulator) merged into every level with one upsert per block and level, and the
 * not-archived summaries recomputed after an archive.
 */
export class SummaryWriter {
  /** seriesId, block, n, stepMin, stepMax, min, max (NaN = no value); repeated, unboxed. */
  private pending = new Float64Array(stride * 1024);
  private size = 0;
  /** Offsets into `pending` in the order flush writes them (reused between chunks). */
  private order = new Uint32Array(1024);
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
           WHERE p.run_key = b.run_key AND p.series_id = b.series_id AND p.step BETWEEN b.block * @span AND b.block * @span + @span - 1
             AND p.archived = 0)
         WHERE b.run_key = @runKey AND b.level = 1 AND b.block >= @first`,
      ),
      refreshLevel: db.prepare(
        `UPDATE point_blocks AS b SET (n, step_min, step_max, vmin, vmax) = (
           SELECT coalesce(sum(f.n), 0), min(f.step_min), max(f.step_max), min(f.vmin), max(f.vmax) FROM point_blocks f
           WHERE f.run_key = b.run_key AND f.series_id = b.series_id AND f.level = b.level - 1
             AND f.block BETWEEN b.block * @ratio AND b.block * @ratio + @ratio - 1)
         WHERE b.run_key = @runKey AND b.level = @level AND b.block >= @first`,
      ),
    };
  }

  /** Queues the level-1 summary of points just inserted; min and max NaN when all their values are null. */
  push(seriesId: number, block: number, n: number, stepMin: number, stepMax: number, min: number, max: number): void {
    if (this.size + stride > this.pending.length) {
      const grown = new Float64Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    const p = this.pending;
    const i = this.size;
    p[i] = seriesId;
    p[i + 1] = block;
    p[i + 2] = n;
    p[i + 3] = stepMin;
    p[i + 4] = stepMax;
    p[i + 5] = min;
    p[i + 6] = max;
    this.size = i + stride;
  }

  /** Drops what was queued (after a rollback). */
  discard(): void {
    this.size = 0;
  }

  /**
   * Writes the queued summaries into every level. The queue holds the blocks in the order their series
   * finished them (series interleaved, since a step record closes a block of every scalar at once), so it is
   * first ordered by series, keeping each series' blocks in queue order: the runs of level-1 blocks that
   * fall in one block of a coarser level are then adjacent and merged into one upsert per coarse block
   * (about 1.14 upserts per level-1 block in all, instead of one per level), and the upserts of a series
   * touch neighbouring rows of the clustered key.
   */
  flush(runKey: number): void {
    const p = this.pending;
    const end = this.size;
    if (end === 0) return;
    this.size = 0;
    const count = end / stride;
    if (this.order.length < count) this.order = new Uint32Array(Math.max(count, this.order.length * 2));
    const order = this.order.subarray(0, count);
    for (let k = 0; k < count; k++) order[k] = k * stride;
    // Stable by construction: equal series compare by queue position.
    order.sort((a, b) => p[a]! - p[b]! || a - b);
    for (const level of summaryLevels) {
      const shift = blockSpan(level) / level1;
      // Consecutive level-1 blocks of one series that fall in the same block of this level become one upsert.
      let series = -1;
      let block = -1;
      let n = 0;
      let stepMin = 0;
      let stepMax = 0;
      // NaN = no value yet; every comparison with NaN is false, so the first value replaces it.
      let min = Number.NaN;
      let max = Number.NaN;
      for (let k = 0; k <= count; k++) {
        const i = k < count ? order[k]! : -1;
        const s = i >= 0 ? p[i]! : -2;
        const b = i >= 0 ? Math.floor(p[i + 1]! / shift) : -2;
        if (s !== series || b !== block) {
          if (series >= 0) {
            const lo = Number.isNaN(min) ? null : min;
            const hi = Number.isNaN(max) ? null : max;
            this.stmts.upsert.run(
              runKey,
              series,
              level,
              block,
              n,
              stepMin,
              stepMax,
              lo,
              hi,
              n,
              stepMin,
              stepMax,
              lo,
              hi,
            );
          }
          if (i < 0) break;
          series = s;
          block = b;
          n = 0;
          stepMin = p[i + 3]!;
          stepMax = p[i + 4]!;
          min = Number.NaN;
          max = Number.NaN;
        }
        n += p[i + 2]!;
        if (p[i + 3]! < stepMin) stepMin = p[i + 3]!;
        if (p[i + 4]! > stepMax) stepMax = p[i + 4]!;
        const lo = p[i + 5]!;
        const hi = p[i + 6]!;
        if (lo < min || Number.isNaN(min)) min = lo;
        if (hi > max || Number.isNaN(max)) max = hi;
      }
    }
  }

  /** Recomputes the not-archived summaries of a run's blocks that reach past `afterStep`, level by level. */
  refreshAfterArchive(runKey: number, afterStep: number): void {
    this.stmts.refreshLevel1.run({ runKey, span: level1, first: Math.floor((afterStep + 1) / level1) });
    for (const level of summaryLevels) {
      if (level === 1) continue;
      const first = Math.floor((afterStep + 1) / blockSpan(level));
      this.stmts.refreshLevel.run({ runKey, level, ratio: blockSpan(level) / blockSpan(level - 1), first });
    }
  }
}

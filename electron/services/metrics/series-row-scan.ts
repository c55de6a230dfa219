import type { MetricBucket, MetricPoint, SeriesData } from '../../contract/metrics.js';
import type { Db } from '../db/database.js';
import type { SeriesQuery } from './queries.js';

/**
 * The reference answer of `metrics:series`: every bucket computed by scanning its rows of the points
 * table. MetricsQueries.series must answer exactly this (its property test and the ingest benchmark
 * compare the two); it reads every row of the range, so it is not what the app uses.
 */
export function seriesByRowScan(db: Db, q: SeriesQuery): SeriesData {
  const seriesId = db.prepare('SELECT id FROM series WHERE name = ?').pluck().get(q.series) as number | undefined;
  if (seriesId === undefined) throw new Error(`There is no series "${q.series}".`);
  const params = {
    runKey: q.runKey,
    seriesId,
    from: q.from ?? 0,
    to: q.to ?? Number.MAX_SAFE_INTEGER,
    all: q.includeArchived ? 1 : 0,
  };
  const where = 'run_key = @runKey AND series_id = @seriesId AND (@all OR archived = 0)';
  const raw = db
    .prepare(
      `SELECT step, value, tokens, time, attempt FROM points WHERE ${where} ` +
        'AND step BETWEEN @from AND @to ORDER BY step, attempt LIMIT @limit',
    )
    .all({ ...params, limit: q.maxPoints + 1 }) as MetricPoint[];
  if (raw.length <= q.maxPoints) return { runId: q.runId, series: q.series, mode: 'raw', points: raw };
  const extent = db
    .prepare(`SELECT min(step) AS lo, max(step) AS hi FROM points WHERE ${where} AND step BETWEEN @from AND @to`)
    .get(params) as { lo: number; hi: number };
  const bucket = db.prepare(
    `SELECT min(step) AS step_min, max(step) AS step_max, min(value) AS lo, max(value) AS hi, count(*) AS n FROM points
     WHERE ${where} AND step BETWEEN @lo AND @hi`,
  );
  const bucketLast = db.prepare(
    `SELECT value, tokens, time FROM points WHERE ${where} AND step = @step ORDER BY attempt DESC LIMIT 1`,
  );
  const span = extent.hi - extent.lo + 1;
  const n = q.maxPoints;
  const buckets: MetricBucket[] = [];
  for (let b = 0; b < n; b++) {
    const lo = extent.lo + Math.floor((b * span) / n);
    const hi = extent.lo + Math.floor(((b + 1) * span) / n) - 1;
    if (hi < lo) continue;
    const r = bucket.get({ ...params, lo, hi }) as {
      step_min: number | null;
      step_max: number | null;
      lo: number | null;
      hi: number | null;
      n: number;
    };
    if (r.n === 0 || r.step_min === null || r.step_max === null) continue;
    const last = bucketLast.get({ ...params, step: r.step_max }) as
      { value: number | null; tokens: number | null; time: number | null } | undefined;
    buckets.push({
      stepMin: r.step_min,
      stepMax: r.step_max,
      min: r.lo,
      max: r.hi,
      last: last?.value ?? null,
      lastStep: r.step_max,
      lastTokens: last?.tokens ?? null,
      lastTime: last?.time ?? null,
      count: r.n,
    });
  }
  return { runId: q.runId, series: q.series, mode: 'buckets', from: extent.lo, to: extent.hi, buckets };
}

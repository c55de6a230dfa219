import type {
  IngestErrorRecord,
  MetricPoint,
  RouterData,
  RouterLayerStats,
  SeriesData,
  SeriesInfo,
} from '../../contract/metrics.js';
import type { Db } from '../db/database.js';
import { ServiceError } from '../errors.js';
import { BucketAssembler } from './bucket-assembly.js';

/** A step range query of one series. */
export interface SeriesQuery {
  runKey: number;
  runId: string;
  series: string;
  from?: number;
  to?: number;
  maxPoints: number;
  includeArchived: boolean;
}

/**
 * Read side of the metrics store: the queries charts need. Raw points are a range scan of the
 * clustered key (run_key, series_id, step, attempt); min/max/last per pixel column come from the
 * level-of-detail summaries plus the points at the columns' edges, so a 1M-point series reduced to
 * 1000 columns reads a few tens of thousands of rows, not a million.
 */
export class MetricsQueries {
  private readonly stmts;
  private readonly assembler: BucketAssembler;

  /** Runs reads in one snapshot (a deferred transaction). */
  private readonly read: <T>(fn: () => T) => T;

  constructor(db: Db) {
    const tx = db.transaction((fn: () => unknown) => fn());
    this.read = <T>(fn: () => T): T => tx.deferred(fn) as T;
    this.assembler = new BucketAssembler(db);
    this.stmts = {
      seriesId: db.prepare('SELECT id FROM series WHERE name = ?').pluck(),
      seriesOfRun: db.prepare(
        `SELECT s.id, s.name FROM series s WHERE EXISTS (SELECT 1 FROM points p WHERE p.run_key = ? AND p.series_id = s.id)
         ORDER BY s.name`,
      ),
      first: db
        .prepare('SELECT step FROM points WHERE run_key = ? AND series_id = ? AND archived = 0 ORDER BY step LIMIT 1')
        .pluck(),
      last: db.prepare(
        'SELECT step, value FROM points WHERE run_key = ? AND series_id = ? AND archived = 0 ORDER BY step DESC LIMIT 1',
      ),
      raw: db.prepare(
        `SELECT step, value, tokens, time, attempt FROM points
         WHERE run_key = @runKey AND series_id = @seriesId AND step BETWEEN @from AND @to AND (@all OR archived = 0)
         ORDER BY step, attempt LIMIT @limit`,
      ),
      // The newest step of the range: min(step) and max(step) in one query would scan the whole range.
      lastInRange: db
        .prepare(
          `SELECT step FROM points
         WHERE run_key = @runKey AND series_id = @seriesId AND step BETWEEN @from AND @to AND (@all OR archived = 0)
         ORDER BY step DESC LIMIT 1`,
        )
        .pluck(),
      routerAt: db
        .prepare(
          `SELECT step FROM router_stats WHERE run_key = ? AND archived = 0 AND step <= ? ORDER BY step DESC LIMIT 1`,
        )
        .pluck(),
      routerLayers: db.prepare(
        `SELECT layer, kind, tokens, load, importance, cv, max_over_mean, entropy, dead, by_domain FROM router_stats
         WHERE run_key = ? AND step = ? AND archived = 0 ORDER BY layer, kind, attempt DESC`,
      ),
      routerCount: db
        .prepare('SELECT count(DISTINCT step) FROM router_stats WHERE run_key = ? AND archived = 0')
        .pluck(),
      routerHistory: db.prepare(
        `SELECT layer, kind, step, cv, max_over_mean, entropy, json_array_length(dead) AS dead FROM router_stats
         WHERE run_key = ? AND archived = 0 AND step % ? = 0 ORDER BY layer, kind, step`,
      ),
      routerSteps: db
        .prepare('SELECT DISTINCT step FROM router_stats WHERE run_key = ? AND archived = 0 ORDER BY step')
        .pluck(),
      errors: db.prepare(
        `SELECT kind, line_number, byte_offset, reason, excerpt, created_at FROM ingest_errors WHERE run_id = ?
         ORDER BY id LIMIT 1000`,
      ),
    };
  }

  /** The series a run has, with their extent and newest value. */
  listSeries(runKey: number): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const s of this.stmts.seriesOfRun.all(runKey) as { id: number; name: string }[]) {
      const first = this.stmts.first.get(runKey, s.id) as number | undefined;
      const last = this.stmts.last.get(runKey, s.id) as { step: number; value: number | null } | undefined;
      if (first === undefined || !last) continue;
      out.push({ name: s.name, firstStep: first, lastStep: last.step, lastValue: last.value });
    }
    return out;
  }

  /** Raw points when the range holds at most maxPoints, else min/max/last per step bucket. */
  series(q: SeriesQuery): SeriesData {
    const seriesId = this.stmts.seriesId.get(q.series) as number | undefined;
    if (seriesId === undefined) {
      throw new ServiceError(
        'not_found',
        `There is no series "${q.series}".`,
        "List the run's series with metrics:list.",
      );
    }
    const from = q.from ?? 0;
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const params = { runKey: q.runKey, seriesId, from, to, all: q.includeArchived ? 1 : 0 } as const;
    return this.read((): SeriesData => {
      const raw = this.stmts.raw.all({ ...params, limit: q.maxPoints + 1 }) as MetricPoint[];
      if (raw.length <= q.maxPoints) return { runId: q.runId, series: q.series, mode: 'raw', points: raw };
      // Bucket over the steps that exist, not the asked range, so an open-ended query still fills the width.
      const lo = raw[0]!.step;
      const hi = this.stmts.lastInRange.get(params) as number;
      const buckets = this.assembler.buckets({ runKey: q.runKey, seriesId, all: params.all }, lo, hi, q.maxPoints);
      return { runId: q.runId, series: q.series, mode: 'buckets', from: lo, to: hi, buckets };
    });
  }

  /** Router statistics at (or just before) a step, and balance over time per layer. */
  router(runKey: number, runId: string, step: number | undefined, maxPoints: number): RouterData {
    const at = this.stmts.routerAt.get(runKey, step ?? Number.MAX_SAFE_INTEGER) as number | undefined;
    let snapshot: RouterData['snapshot'] = null;
    if (at !== undefined) {
      const seen = new Set<string>();
      const layers: RouterLayerStats[] = [];
      let tokens: number | null = null;
      for (const r of this.stmts.routerLayers.all(runKey, at) as Record<string, unknown>[]) {
        const id = `${String(r.layer)}/${String(r.kind)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        tokens = r.tokens as number | null;
        layers.push({
          layer: r.layer as number,
          kind: r.kind as string,
          load: JSON.parse(r.load as string) as number[],
          importance: r.importance ? (JSON.parse(r.importance as string) as number[]) : null,
          cv: r.cv as number | null,
          maxOverMean: r.max_over_mean as number | null,
          entropy: r.entropy as number | null,
          dead: r.dead ? (JSON.parse(r.dead as string) as number[]) : [],
          byDomain: r.by_domain ? (JSON.parse(r.by_domain as string) as Record<string, number[]>) : null,
        });
      }
      snapshot = { step: at, tokens, layers };
    }
    // Thin the history by a step stride that keeps at most maxPoints records per layer.
    const count = this.stmts.routerCount.get(runKey) as number;
    let stride = 1;
    if (count > maxPoints) {
      const steps = this.stmts.routerSteps.all(runKey) as number[];
      const every = steps.length > 1 ? steps[1]! - steps[0]! : 1;
      stride = every * Math.ceil(count / maxPoints);
    }
    const history = new Map<string, RouterData['history'][number]>();
    for (const r of this.stmts.routerHistory.all(runKey, stride) as Record<string, number | string | null>[]) {
      const id = `${String(r.layer)}/${String(r.kind)}`;
      let line = history.get(id);
      if (!line) {
        line = { layer: r.layer as number, kind: r.kind as string, points: [] };
        history.set(id, line);
      }
      const last = line.points[line.points.length - 1];
      if (last && last.step === r.step) continue;
      line.points.push({
        step: r.step as number,
        cv: r.cv as number | null,
        maxOverMean: r.max_over_mean as number | null,
        entropy: r.entropy as number | null,
        dead: (r.dead as number | null) ?? 0,
      });
    }
    return { runId, snapshot, history: [...history.values()] };
  }

  /** The ingest errors of a run, oldest first. */
  errors(runId: string): IngestErrorRecord[] {
    return (this.stmts.errors.all(runId) as Record<string, unknown>[]).map((e) => ({
      kind: e.kind as IngestErrorRecord['kind'],
      lineNumber: e.line_number as number | null,
      byteOffset: e.byte_offset as number | null,
      reason: e.reason as string,
      excerpt: e.excerpt as string | null,
      createdAt: e.created_at as number,
    }));
  }
}

import type { SeriesData } from '../../../electron/contract/metrics.js';
import { lastStep, mergePoints, toChartPoints, type ChartPoint } from './series.js';

/** What a series read asks the services for. */
export interface SeriesRead {
  maxPoints: number;
  from?: number;
  to?: number;
}

/** The part of a query a chart controls: width and zoom. */
export interface SyncParams {
  maxPoints: number;
  from: number | undefined;
  to: number | undefined;
}

/** Callbacks of a SeriesSync. */
export interface SyncSink {
  commit(points: ChartPoint[], mode: 'raw' | 'buckets' | null): void;
  /** A failed full read (a missing series is committed as empty instead). */
  fail(err: unknown): void;
}

/**
 * Keeps one chart's points in step with the store. Reads run one at a time: a full read (first, after a
 * zoom or resize, or when the series is reduced) replaces what is held; an incremental read asks for the
 * steps after the newest point held and merges by step. The newest step comes from what was last
 * committed, never from a render that may lag, and an answer to a read made before the parameters
 * changed is dropped; so races between events, reloads and zooms can neither duplicate a point nor
 * leave a gap.
 */
export class SeriesSync {
  private params: SyncParams;
  private generation = 0;
  private held: { points: ChartPoint[]; mode: 'raw' | 'buckets' | null } = { points: [], mode: null };
  private busy = false;
  private wantFull = false;
  private wantNewer = false;
  private disposed = false;

  constructor(
    private readonly read: (r: SeriesRead) => Promise<SeriesData>,
    private readonly sink: SyncSink,
    params: SyncParams,
    private readonly isNotFound: (err: unknown) => boolean,
  ) {
    this.params = params;
  }

  /** The points held now. */
  get points(): ChartPoint[] {
    return this.held.points;
  }

  /** New width or zoom: read everything again (what is held stays meanwhile). Resolves when idle. */
  reset(params: SyncParams): Promise<void> {
    this.params = params;
    this.generation += 1;
    this.wantFull = true;
    return this.pump();
  }

  /** The store has new points for this series: read the newer ones. Resolves when idle. */
  newer(): Promise<void> {
    this.wantNewer = true;
    return this.pump();
  }

  /** Stops committing (the chart is gone). */
  dispose(): void {
    this.disposed = true;
    this.generation += 1;
  }

  private commit(points: ChartPoint[], mode: 'raw' | 'buckets' | null): void {
    this.held = { points, mode };
    if (!this.disposed) this.sink.commit(points, mode);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while ((this.wantFull || this.wantNewer) && !this.disposed) {
        const gen = this.generation;
        const p = this.params;
        const after = lastStep(this.held.points);
        if (this.wantFull || this.held.mode !== 'raw' || after === null) {
          this.wantFull = false;
          this.wantNewer = false;
          try {
            const data = await this.read({
              maxPoints: p.maxPoints,
              ...(p.from !== undefined ? { from: p.from } : {}),
              ...(p.to !== undefined ? { to: p.to } : {}),
            });
            if (gen === this.generation) this.commit(toChartPoints(data), data.mode);
          } catch (err) {
            if (gen !== this.generation) continue;
            if (this.isNotFound(err)) this.commit([], null);
            else if (!this.disposed) this.sink.fail(err);
          }
          continue;
        }
        this.wantNewer = false;
        let data: SeriesData;
        try {
          data = await this.read({ from: after + 1, maxPoints: Math.max(1, p.maxPoints - this.held.points.length) });
        } catch {
          continue; // retried by the next event or the fallback poll
        }
        if (gen !== this.generation) continue;
        if (data.mode === 'buckets') {
          // Too many new points to show raw: let the services reduce the whole range again.
          this.wantFull = true;
          continue;
        }
        const fresh = toChartPoints(data);
        if (fresh.length) this.commit(mergePoints(this.held.points, fresh), 'raw');
      }
    } finally {
      this.busy = false;
    }
  }
}

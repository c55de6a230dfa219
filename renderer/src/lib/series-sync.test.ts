import { describe, expect, it } from 'vitest';
import type { MetricPoint, SeriesData } from '../../../electron/contract/metrics.js';
import { duplicateSteps, type ChartPoint } from './series.js';
import { SeriesSync, type SeriesRead } from './series-sync.js';

/** An in-memory store that answers like metrics:series, with reads the test releases one by one. */
class Store {
  points: MetricPoint[] = [];
  pending: { read: SeriesRead; resolve: (d: SeriesData) => void; snapshot: MetricPoint[] }[] = [];
  reads: SeriesRead[] = [];

  append(n: number): void {
    const from = this.points.length + 1;
    for (let s = from; s < from + n; s++)
      this.points.push({ step: s, value: 10 / s, tokens: s * 100, time: s, attempt: 1 });
  }

  /** Answers from the store as it is *when the read is made* (a read sees one snapshot). */
  read = (r: SeriesRead): Promise<SeriesData> => {
    this.reads.push(r);
    const snapshot = this.points.filter((p) => p.step >= (r.from ?? 0) && p.step <= (r.to ?? Infinity));
    return new Promise((resolve) => this.pending.push({ read: r, resolve, snapshot }));
  };

  answer(i = 0): void {
    const [p] = this.pending.splice(i, 1);
    if (!p) throw new Error('no pending read');
    const pts = p.snapshot;
    if (pts.length <= p.read.maxPoints) {
      p.resolve({ runId: 'r', series: 's', mode: 'raw', points: pts });
      return;
    }
    // Buckets of equal step width, last value per bucket.
    const n = p.read.maxPoints;
    const lo = pts[0]!.step;
    const span = pts[pts.length - 1]!.step - lo + 1;
    const buckets = new Map<number, MetricPoint[]>();
    for (const q of pts) {
      const b = Math.floor(((q.step - lo) * n) / span);
      buckets.set(b, [...(buckets.get(b) ?? []), q]);
    }
    p.resolve({
      runId: 'r',
      series: 's',
      mode: 'buckets',
      from: lo,
      to: pts[pts.length - 1]!.step,
      buckets: [...buckets.values()].map((b) => ({
        stepMin: b[0]!.step,
        stepMax: b[b.length - 1]!.step,
        min: Math.min(...b.map((x) => x.value!)),
        max: Math.max(...b.map((x) => x.value!)),
        last: b[b.length - 1]!.value,
        lastStep: b[b.length - 1]!.step,
        lastTokens: b[b.length - 1]!.tokens,
        lastTime: b[b.length - 1]!.time,
        count: b.length,
      })),
    });
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await Promise.resolve();
      if (this.pending.length) this.answer();
    }
  }
}

function setup(maxPoints = 100): { store: Store; sync: SeriesSync; committed: ChartPoint[][] } {
  const store = new Store();
  const committed: ChartPoint[][] = [];
  const sync = new SeriesSync(
    store.read,
    {
      commit: (p) => committed.push(p),
      fail: (e) => {
        throw e;
      },
    },
    { maxPoints, from: undefined, to: undefined },
    () => false,
  );
  return { store, sync, committed };
}

const steps = (pts: ChartPoint[]): number[] => pts.map((p) => p.step);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('SeriesSync', () => {
  it('reads everything, then only the newer steps', async () => {
    const { store, sync } = setup();
    store.append(5);
    const idle = sync.reset({ maxPoints: 100, from: undefined, to: undefined });
    store.answer();
    await idle;
    store.append(3);
    const idle2 = sync.newer();
    await Promise.resolve();
    expect(store.reads.at(-1)).toEqual({ from: 6, maxPoints: 95 });
    store.answer();
    await idle2;
    expect(steps(sync.points)).toEqual(range(1, 8));
  });

  it('never leaves a gap or a duplicate when a slow full read races incremental reads', async () => {
    const { store, sync } = setup();
    store.append(5);
    const first = sync.reset({ maxPoints: 100, from: undefined, to: undefined });
    store.answer();
    await first;
    // A resize starts a full read that is slow; meanwhile new points and events arrive.
    store.append(4);
    const slow = sync.reset({ maxPoints: 90, from: undefined, to: undefined });
    store.append(3);
    void sync.newer();
    void sync.newer();
    store.append(2);
    void sync.newer();
    await store.settle();
    await slow;
    store.append(1);
    await Promise.all([sync.newer(), store.settle()]);
    expect(steps(sync.points)).toEqual(range(1, 15));
    expect(duplicateSteps(sync.points)).toBe(0);
  });

  it('drops an answer to a read made before the zoom changed', async () => {
    const { store, sync, committed } = setup();
    store.append(50);
    void sync.reset({ maxPoints: 100, from: undefined, to: undefined });
    void sync.reset({ maxPoints: 100, from: 10, to: 20 });
    await store.settle();
    // The unzoomed answer never reached the chart.
    expect(committed.map(steps)).toEqual([range(10, 20)]);
  });

  it('asks the services to reduce again once the new points no longer fit the width', async () => {
    const { store, sync } = setup(10);
    store.append(8);
    void sync.reset({ maxPoints: 10, from: undefined, to: undefined });
    await store.settle();
    store.append(30);
    void sync.newer();
    await store.settle();
    expect(store.reads.at(-1)).toEqual({ maxPoints: 10 });
    expect(sync.points.length).toBeLessThanOrEqual(10);
    expect(sync.points.at(-1)!.step).toBe(38);
    expect(sync.points.reduce((n, p) => n + p.count, 0)).toBe(38);
  });

  it('shows a series that does not exist yet as empty, and stops after dispose', async () => {
    const committed: ChartPoint[][] = [];
    const sync = new SeriesSync(
      () => Promise.reject(new Error('missing')),
      { commit: (p) => committed.push(p), fail: () => undefined },
      { maxPoints: 5, from: undefined, to: undefined },
      () => true,
    );
    await sync.reset({ maxPoints: 5, from: undefined, to: undefined });
    expect(committed).toEqual([[]]);
    sync.dispose();
    await sync.newer();
    expect(committed).toHaveLength(1);
  });
});

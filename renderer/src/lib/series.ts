import type { SeriesData } from '../../../electron/contract/metrics.js';

/** One point as charts use it: a raw point, or one bucket (min/max band plus its last value). */
export interface ChartPoint {
  step: number;
  tokens: number | null;
  /** Unix seconds. */
  time: number | null;
  /** The value the line goes through (a bucket's last value); null = non-finite or missing. */
  y: number | null;
  /** The bucket's band; equal to y for raw points. */
  min: number | null;
  max: number | null;
  /** Raw points this one stands for (1 for raw points). */
  count: number;
}

/** Turns a `metrics:series` answer into chart points, ordered by step, one per step. */
export function toChartPoints(data: SeriesData): ChartPoint[] {
  if (data.mode === 'raw') {
    // A step logged by several attempts (archived ones included on request) keeps the newest: the
    // answer is ordered by (step, attempt), so a later row wins.
    const byStep = new Map<number, ChartPoint>();
    for (const p of data.points) {
      byStep.set(p.step, {
        step: p.step,
        tokens: p.tokens,
        time: p.time,
        y: p.value,
        min: p.value,
        max: p.value,
        count: 1,
      });
    }
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }
  return data.buckets.map((b) => ({
    step: b.lastStep,
    tokens: b.lastTokens ?? null,
    time: b.lastTime ?? null,
    y: b.last,
    min: b.min,
    max: b.max,
    count: b.count,
  }));
}

/**
 * Merges newly fetched points into what a chart holds, keyed by step: a step that arrives twice (an
 * event and a reload racing, a reconnect replaying) replaces the old point instead of adding one.
 */
export function mergePoints(existing: readonly ChartPoint[], incoming: readonly ChartPoint[]): ChartPoint[] {
  if (incoming.length === 0) return existing as ChartPoint[];
  const last = existing[existing.length - 1];
  const first = incoming[0]!;
  if (!last || first.step > last.step) {
    // The common live case: strictly newer points; append without rebuilding.
    let sorted = true;
    for (let i = 1; i < incoming.length; i++) if (incoming[i]!.step <= incoming[i - 1]!.step) sorted = false;
    if (sorted) return [...existing, ...incoming];
  }
  const byStep = new Map<number, ChartPoint>();
  for (const p of existing) byStep.set(p.step, p);
  for (const p of incoming) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** How many points share a step with an earlier point (0 for a well-formed series). */
export function duplicateSteps(points: readonly ChartPoint[]): number {
  const seen = new Set<number>();
  let dup = 0;
  for (const p of points) {
    if (seen.has(p.step)) dup += 1;
    seen.add(p.step);
  }
  return dup;
}

/** The newest step a chart holds, or null. */
export function lastStep(points: readonly ChartPoint[]): number | null {
  return points.length ? points[points.length - 1]!.step : null;
}

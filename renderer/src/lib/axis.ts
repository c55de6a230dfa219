import type { ChartPoint } from './series.js';

/** What the x-axis measures. */
export type XMode = 'step' | 'tokens' | 'time';

/** The x value of a point: its step, its tokens, or seconds since `t0` (the run's first point). */
export function xOf(p: ChartPoint, mode: XMode, t0: number | null): number | null {
  if (mode === 'step') return p.step;
  if (mode === 'tokens') return p.tokens;
  if (p.time === null || t0 === null) return null;
  return p.time - t0;
}

/** The earliest time among points (the origin of the time axis). */
export function timeOrigin(points: readonly ChartPoint[]): number | null {
  let t0: number | null = null;
  for (const p of points) if (p.time !== null && (t0 === null || p.time < t0)) t0 = p.time;
  return t0;
}

/** A y value as a log axis can show it: only positive finite values; others become gaps. */
export function forLogAxis(v: number | null): number | null {
  return v !== null && Number.isFinite(v) && v > 0 ? v : null;
}

/** Y domain [lo, hi] of values, padded a little; on a log axis only positive values count. */
export function yDomain(values: readonly (number | null)[], log: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return null;
  if (log) {
    const pad = Math.pow(hi / lo, 0.04) || 1.1;
    return [lo / pad, hi * pad];
  }
  // Equal up to rounding (a smoothed copy of the same value): a flat line, padded so it is visible.
  if (hi - lo <= 1e-9 * Math.max(Math.abs(hi), Math.abs(lo), 1e-300)) {
    const d = Math.abs(lo) * 0.05 || 1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/** Powers of ten (and 2x, 5x between them when few) covering a positive domain, for log-axis ticks. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [];
  const ticks: number[] = [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mults = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  for (let e = e0; e <= e1; e++) {
    for (const m of mults) {
      const t = m * Math.pow(10, e);
      if (t >= lo && t <= hi) ticks.push(Number(t.toPrecision(6)));
    }
  }
  return ticks;
}

/**
 * The step range that covers x values [x0, x1] on the given axis, found in the points the chart holds
 * (steps, tokens and time all grow together). Used to ask the services for a zoomed range.
 */
export function stepRangeForX(
  points: readonly ChartPoint[],
  mode: XMode,
  t0: number | null,
  x0: number,
  x1: number,
): [number, number] | null {
  const lo = Math.min(x0, x1);
  const hi = Math.max(x0, x1);
  let from: number | null = null;
  let to: number | null = null;
  let before: number | null = null;
  let after: number | null = null;
  for (const p of points) {
    const x = xOf(p, mode, t0);
    if (x === null) continue;
    if (x < lo) before = p.step;
    else if (x > hi) {
      if (after === null) after = p.step;
    } else {
      if (from === null) from = p.step;
      to = p.step;
    }
  }
  // A bucket's x is its last step: the range starts just after the previous bucket.
  const start = before !== null ? before + 1 : from;
  const end = to ?? (after !== null ? after : null);
  if (start === null || end === null || end < start) return null;
  return [start, end];
}

/** Formats an x value for ticks and tooltips. */
export function formatX(x: number, mode: XMode): string {
  if (mode === 'time') {
    if (x < 120) return `${Math.round(x)}s`;
    if (x < 7200) return `${Math.round(x / 60)}m`;
    return `${(x / 3600).toFixed(x < 36000 ? 1 : 0)}h`;
  }
  const abs = Math.abs(x);
  if (abs >= 1e9) return `${+(x / 1e9).toPrecision(3)}B`;
  if (abs >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  return String(Math.round(x));
}

/** "Nice" tick values (steps of 1, 2 or 5 × 10^k, the one nearest to `count` ticks) inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return [];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const err = raw / mag;
  const step = mag * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.sqrt(2) ? 2 : 1);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

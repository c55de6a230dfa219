import type { ChartPoint } from './series.js';

/**
 * Debiased exponential moving average (as TensorBoard smooths): the first values are not pulled towards
 * zero. A bucket standing for n raw points advances the average n steps (weight^n), so the curve looks
 * the same at every zoom level. Non-finite values pass through as null and do not disturb the average.
 */
export function emaSmooth(points: readonly ChartPoint[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return points.map((p) => p.y);
  const out: (number | null)[] = new Array<number | null>(points.length);
  let acc = 0;
  let decay = 1; // w^(raw points seen), so the debias term is 1 - decay
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const v = p.y;
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    const wn = Math.pow(w, Math.max(1, p.count));
    acc = acc * wn + (1 - wn) * v;
    decay *= wn;
    out[i] = acc / (1 - decay);
  }
  return out;
}

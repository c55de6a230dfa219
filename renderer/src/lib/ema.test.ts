import { describe, expect, it } from 'vitest';
import { emaSmooth } from './ema.js';
import type { ChartPoint } from './series.js';

const pts = (ys: (number | null)[], count = 1): ChartPoint[] =>
  ys.map((y, i) => ({ step: i + 1, tokens: null, time: null, y, min: y, max: y, count }));

describe('emaSmooth', () => {
  it('is the identity at weight 0', () => {
    expect(emaSmooth(pts([3, 1, 2]), 0)).toEqual([3, 1, 2]);
  });

  it('is debiased: the first value is kept, not pulled towards zero', () => {
    const out = emaSmooth(pts([10, 10, 10]), 0.9);
    for (const v of out) expect(v).toBeCloseTo(10, 10);
  });

  it('follows the recurrence acc = w*acc + (1-w)*v divided by 1 - w^n', () => {
    const w = 0.6;
    const out = emaSmooth(pts([1, 5]), w);
    const acc2 = (1 - w) * 1 * w + (1 - w) * 5;
    expect(out[1]).toBeCloseTo(acc2 / (1 - w * w), 12);
  });

  it('passes non-finite values through as gaps without disturbing the average', () => {
    const out = emaSmooth(pts([2, null, 2, Number.NaN, 2]), 0.8);
    expect(out[1]).toBeNull();
    expect(out[3]).toBeNull();
    expect(out[4]).toBeCloseTo(2, 12);
  });

  it('advances a bucket of n points n steps, so smoothing looks alike at every zoom level', () => {
    const raw = pts([0, 0, 0, 0, 8, 8, 8, 8]);
    const rawOut = emaSmooth(raw, 0.7);
    const buckets = pts([0, 8], 4);
    const bucketOut = emaSmooth(buckets, 0.7);
    expect(bucketOut[1]).toBeCloseTo(rawOut[7]!, 12);
  });

  it('clamps the weight below 1 so the line never freezes', () => {
    const out = emaSmooth(pts([0, 100]), 1);
    expect(out[1]).toBeGreaterThan(0);
  });
});

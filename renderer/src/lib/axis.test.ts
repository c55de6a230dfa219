import { describe, expect, it } from 'vitest';
import { forLogAxis, formatX, logTicks, niceTicks, stepRangeForX, timeOrigin, xOf, yDomain } from './axis.js';
import type { ChartPoint } from './series.js';

const p = (step: number, tokens: number, time: number, y = 1): ChartPoint => ({
  step,
  tokens,
  time,
  y,
  min: y,
  max: y,
  count: 1,
});
const series = [p(10, 1000, 100), p(20, 2000, 110), p(30, 3000, 125), p(40, 4000, 130)];

describe('x-axis transforms', () => {
  it('maps a point to step, tokens or seconds since the first point', () => {
    const t0 = timeOrigin(series);
    expect(t0).toBe(100);
    expect(xOf(series[2]!, 'step', t0)).toBe(30);
    expect(xOf(series[2]!, 'tokens', t0)).toBe(3000);
    expect(xOf(series[2]!, 'time', t0)).toBe(25);
    expect(xOf({ ...series[0]!, time: null }, 'time', t0)).toBeNull();
  });

  it('turns a zoomed x range back into the step range to ask for', () => {
    expect(stepRangeForX(series, 'step', null, 15, 32)).toEqual([11, 30]);
    expect(stepRangeForX(series, 'tokens', null, 2500, 1500)).toEqual([11, 20]);
    expect(stepRangeForX(series, 'time', 100, 9, 26)).toEqual([11, 30]);
    // A selection between two points still asks for the steps between them.
    expect(stepRangeForX(series, 'step', null, 21, 22)).toEqual([21, 30]);
    expect(stepRangeForX([], 'step', null, 1, 2)).toBeNull();
  });

  it('formats ticks per axis', () => {
    expect(formatX(1500, 'step')).toBe('1500');
    expect(formatX(2_500_000, 'tokens')).toBe('2.5M');
    expect(formatX(90, 'time')).toBe('90s');
    expect(formatX(600, 'time')).toBe('10m');
    expect(formatX(5400, 'time')).toBe('90m');
    expect(formatX(9000, 'time')).toBe('2.5h');
  });
});

describe('log axis', () => {
  it('keeps only positive finite values', () => {
    expect(forLogAxis(2)).toBe(2);
    expect(forLogAxis(0)).toBeNull();
    expect(forLogAxis(-1)).toBeNull();
    expect(forLogAxis(null)).toBeNull();
    expect(forLogAxis(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('pads the domain multiplicatively and ignores non-positive values', () => {
    const [lo, hi] = yDomain([0, -3, 1, 100], true)!;
    expect(lo).toBeLessThan(1);
    expect(lo).toBeGreaterThan(0.5);
    expect(hi).toBeGreaterThan(100);
    expect(yDomain([0, -1], true)).toBeNull();
  });

  it('pads a flat linear domain so the line is visible', () => {
    expect(yDomain([5, 5], false)).toEqual([4.75, 5.25]);
    const [lo, hi] = yDomain([13.7, 13.7 + 1e-14], false)!;
    expect(hi - lo).toBeGreaterThan(1);
  });

  it('places ticks on powers of ten, with 2 and 5 when the range is short', () => {
    expect(logTicks(0.5, 300)).toEqual([1, 10, 100]);
    expect(logTicks(1.5, 30)).toEqual([2, 5, 10, 20]);
    expect(logTicks(0, 10)).toEqual([]);
  });
});

describe('linear ticks', () => {
  it('steps by 1, 2 or 5 times a power of ten, inside the domain', () => {
    expect(niceTicks(2.52, 4.39, 5)).toEqual([3, 3.5, 4]);
    expect(niceTicks(2.52, 4.39, 8)).toEqual([2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8, 4, 4.2]);
    expect(niceTicks(0.00078, 0.00252, 4)).toEqual([0.001, 0.0015, 0.002, 0.0025]);
    expect(niceTicks(0, 100, 4)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(5, 5)).toEqual([]);
  });
});

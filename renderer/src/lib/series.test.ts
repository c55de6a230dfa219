import { describe, expect, it } from 'vitest';
import { duplicateSteps, mergePoints, toChartPoints, type ChartPoint } from './series.js';

const cp = (step: number, y = step): ChartPoint => ({
  step,
  tokens: step * 10,
  time: step,
  y,
  min: y,
  max: y,
  count: 1,
});

describe('chart points', () => {
  it('takes raw points once per step, newest attempt winning', () => {
    const pts = toChartPoints({
      runId: 'r',
      series: 's',
      mode: 'raw',
      points: [
        { step: 1, value: 5, tokens: 10, time: 1, attempt: 1 },
        { step: 2, value: 4, tokens: 20, time: 2, attempt: 1 },
        { step: 2, value: 3, tokens: 20, time: 9, attempt: 2 },
      ],
    });
    expect(pts.map((p) => [p.step, p.y])).toEqual([
      [1, 5],
      [2, 3],
    ]);
  });

  it('plots a bucket at its last step with its band', () => {
    const pts = toChartPoints({
      runId: 'r',
      series: 's',
      mode: 'buckets',
      from: 1,
      to: 20,
      buckets: [
        { stepMin: 1, stepMax: 10, min: 1, max: 9, last: 4, lastStep: 10, lastTokens: 100, lastTime: 5, count: 10 },
      ],
    });
    expect(pts).toEqual([{ step: 10, tokens: 100, time: 5, y: 4, min: 1, max: 9, count: 10 }]);
  });

  it('appends newer points and replaces a step that arrives again', () => {
    const a = [cp(1), cp(2), cp(3)];
    expect(mergePoints(a, [cp(4), cp(5)]).map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    const replayed = mergePoints(a, [cp(3, 30), cp(4)]);
    expect(replayed.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(replayed[2]!.y).toBe(30);
    expect(duplicateSteps(replayed)).toBe(0);
  });

  it('counts duplicated steps', () => {
    expect(duplicateSteps([cp(1), cp(2), cp(2), cp(3), cp(1)])).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import type { EvalReference, LeaderboardColumn, LeaderboardRow } from '../../../electron/contract/evals.js';
import { bestFirstDescending, bestInColumn, columnKey, referenceLines, sortLeaderboard } from './leaderboard.js';

const row = (
  checkpointId: number,
  runName: string,
  step: number,
  scores: Record<string, number | null>,
): LeaderboardRow => ({
  checkpointId,
  runId: `r-20261129-00000${checkpointId}`,
  runName,
  step,
  tokens: step * 100,
  scores,
});
const loss: LeaderboardColumn = { task: 'native', metric: 'loss', higherIsBetter: false };
const acc: LeaderboardColumn = { task: 'arc_easy', metric: 'acc', higherIsBetter: true };
const rows = [
  row(1, 'b', 10, { 'native/loss': 3.1, 'arc_easy/acc': null }),
  row(2, 'a', 20, { 'native/loss': 2.5, 'arc_easy/acc': 0.4 }),
  row(3, 'a', 30, { 'native/loss': 2.8 }),
];

describe('sortLeaderboard', () => {
  it('sorts by a score, missing scores last in either direction', () => {
    expect(sortLeaderboard(rows, 'arc_easy/acc', true).map((r) => r.checkpointId)).toEqual([2, 3, 1]);
    expect(sortLeaderboard(rows, 'arc_easy/acc', false).map((r) => r.checkpointId)).toEqual([2, 3, 1]);
    expect(sortLeaderboard(rows, 'native/loss', false).map((r) => r.checkpointId)).toEqual([2, 3, 1]);
    expect(sortLeaderboard(rows, 'native/loss', true).map((r) => r.checkpointId)).toEqual([1, 3, 2]);
  });
  it('sorts by run name then step, and by tokens', () => {
    expect(sortLeaderboard(rows, 'run', false).map((r) => r.checkpointId)).toEqual([2, 3, 1]);
    expect(sortLeaderboard(rows, 'tokens', true).map((r) => r.checkpointId)).toEqual([3, 2, 1]);
  });
  it('does not change its input', () => {
    const copy = [...rows];
    sortLeaderboard(rows, 'step', true);
    expect(rows).toEqual(copy);
  });
});

describe('best scores', () => {
  it('knows that low loss and high accuracy are best', () => {
    expect(bestInColumn(rows, loss)).toBe(2);
    expect(bestInColumn(rows, acc)).toBe(2);
    expect(bestInColumn([row(9, 'x', 1, {})], acc)).toBeNull();
    expect(bestFirstDescending([loss, acc], columnKey(loss))).toBe(false);
    expect(bestFirstDescending([loss, acc], columnKey(acc))).toBe(true);
  });
});

describe('referenceLines', () => {
  const reference: EvalReference = {
    source: 'JetMoE paper, table 3',
    benchmarks: [{ key: 'arc_c', label: 'ARC-c', task: 'arc_challenge', metric: 'acc_norm', fewshot: 25 }],
    models: [
      { model: 'JetMoE-8B', active: '2.2B', tokens: '1.25T', scores: { arc_c: 0.487 } },
      { model: 'Other', active: '7B', tokens: '2T', scores: {} },
    ],
  };
  it('labels the published score of each model that has one', () => {
    expect(referenceLines(reference, 'arc_challenge', 'acc_norm')).toEqual([
      { model: 'JetMoE-8B', label: 'JetMoE-8B ARC-c (25-shot)', value: 0.487 },
    ]);
    expect(referenceLines(reference, 'arc_challenge', 'acc')).toEqual([]);
    expect(referenceLines(reference, 'arc_challenge', 'acc_norm', ['Other'])).toEqual([]);
  });
});

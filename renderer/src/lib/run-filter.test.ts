import { describe, expect, it } from 'vitest';
import type { HistoryRun } from '../../../electron/contract/history.js';
import { defaultQuery, filterRuns } from './run-filter.js';

function run(id: string, patch: Partial<HistoryRun> = {}): HistoryRun {
  return {
    id,
    name: `run ${id}`,
    nodeId: 'local',
    preset: 'jetmoe-tiny',
    overrides: {},
    state: 'completed',
    stateMessage: null,
    createdAt: 1000,
    startedAt: null,
    endedAt: null,
    exitCode: 0,
    remoteDir: '/x',
    trainerHash: null,
    lastStep: 10,
    lastHeartbeat: null,
    attempt: 1,
    tags: [],
    notes: '',
    parentRunId: null,
    parentCheckpointId: null,
    config: { lr: 0.003, dtype: 'float32' },
    lastLoss: 2,
    lastValLoss: null,
    tokens: 100,
    tokensPerSec: 10,
    elapsed: 5,
    worldSize: 1,
    device: 'cpu',
    ...patch,
  };
}

const runs = [
  run('a', { name: 'baseline', createdAt: 100, tags: ['sweep'], lastLoss: 2.5 }),
  run('b', {
    name: 'higher lr',
    createdAt: 200,
    config: { lr: 0.01, dtype: 'bfloat16' },
    lastLoss: 2.1,
    state: 'failed',
  }),
  run('c', { name: 'remote', createdAt: 300, nodeId: 'gpu1', notes: 'router collapsed at step 400', lastLoss: null }),
];

describe('filterRuns', () => {
  it('sorts newest first by default', () => {
    expect(filterRuns(runs, defaultQuery).map((r) => r.id)).toEqual(['c', 'b', 'a']);
  });

  it('searches names, notes, tags and node names', () => {
    expect(filterRuns(runs, { ...defaultQuery, text: 'collapsed' }).map((r) => r.id)).toEqual(['c']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'SWEEP' }).map((r) => r.id)).toEqual(['a']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'h100' }, { gpu1: 'H100 box' }).map((r) => r.id)).toEqual(['c']);
  });

  it('searches config values with key=value and bare values', () => {
    expect(filterRuns(runs, { ...defaultQuery, text: 'lr=0.01' }).map((r) => r.id)).toEqual(['b']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'lr=1e-2' }).map((r) => r.id)).toEqual(['b']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'bfloat16' }).map((r) => r.id)).toEqual(['b']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'tag:sweep' }).map((r) => r.id)).toEqual(['a']);
    expect(filterRuns(runs, { ...defaultQuery, text: 'nosuchkey=1' })).toEqual([]);
  });

  it('needs every word to match', () => {
    expect(filterRuns(runs, { ...defaultQuery, text: 'lr=0.003 remote' }).map((r) => r.id)).toEqual(['c']);
  });

  it('filters by state, node, preset and date', () => {
    expect(filterRuns(runs, { ...defaultQuery, states: ['failed'] }).map((r) => r.id)).toEqual(['b']);
    expect(filterRuns(runs, { ...defaultQuery, nodeId: 'gpu1' }).map((r) => r.id)).toEqual(['c']);
    expect(filterRuns(runs, { ...defaultQuery, preset: 'other' })).toEqual([]);
    expect(filterRuns(runs, { ...defaultQuery, from: 150, to: 300 }).map((r) => r.id)).toEqual(['b']);
  });

  it('sorts by a metric with missing values last in both directions', () => {
    expect(filterRuns(runs, { ...defaultQuery, sort: 'loss', descending: false }).map((r) => r.id)).toEqual([
      'b',
      'a',
      'c',
    ]);
    expect(filterRuns(runs, { ...defaultQuery, sort: 'loss', descending: true }).map((r) => r.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

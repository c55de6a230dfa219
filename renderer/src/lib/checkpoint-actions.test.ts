import { describe, expect, it } from 'vitest';
import type { CheckpointInfo } from '../../../electron/contract/checkpoints.js';
import { checkpointActions } from './checkpoint-actions.js';

const ckpt = (over: Partial<CheckpointInfo>): CheckpointInfo => ({
  id: 1,
  runId: 'r-20261129-abcdef',
  attempt: 1,
  step: 10,
  tokens: 1000,
  bytes: 100,
  path: 'checkpoints/step-00000010',
  remotePath: '/runs/x/checkpoints/step-00000010',
  loss: 3,
  valLoss: null,
  reason: 'every',
  status: 'complete',
  keptReasons: [],
  newest: false,
  downloadedPath: null,
  verifiedAt: null,
  verifyMessage: null,
  ...over,
});

describe('checkpointActions', () => {
  it('refuses to delete the newest complete checkpoint of a training run, and says why', () => {
    expect(checkpointActions(ckpt({ newest: true }), 'running').deleteBlocked).toMatch(/training/);
    expect(checkpointActions(ckpt({ newest: false }), 'running').deleteBlocked).toBeNull();
    expect(checkpointActions(ckpt({ newest: true }), 'stopped').deleteBlocked).toBeNull();
  });
  it('resumes stopped and failed runs only, from complete checkpoints', () => {
    expect(checkpointActions(ckpt({}), 'stopped').resumeBlocked).toBeNull();
    expect(checkpointActions(ckpt({}), 'failed').resumeBlocked).toBeNull();
    expect(checkpointActions(ckpt({}), 'running').resumeBlocked).toMatch(/stop it first/);
    expect(checkpointActions(ckpt({}), 'completed').resumeBlocked).toMatch(/fork/);
    expect(checkpointActions(ckpt({ status: 'corrupt' }), 'stopped').resumeBlocked).toMatch(/Corrupt/);
  });
  it('offers nothing but verify on a corrupt one and nothing on a deleted one', () => {
    const corrupt = checkpointActions(ckpt({ status: 'corrupt' }), 'stopped');
    expect([corrupt.verify, corrupt.download, corrupt.derive]).toEqual([true, false, false]);
    const gone = checkpointActions(ckpt({ status: 'deleted' }), 'stopped');
    expect([gone.verify, gone.download, gone.derive, gone.deleteBlocked]).toEqual([
      false,
      false,
      false,
      'Already deleted.',
    ]);
  });
});

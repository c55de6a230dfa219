import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFinalState } from '../../contract/runs.js';
import { stepName, writeFakeRun } from '../../test-support/fake-run.js';
import { waitFor } from '../../test-support/wait.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';
import { createWorkbench, type Workbench } from '../workbench.js';

// A stopped run with checkpoints 40, 45 and 48 on This machine; the stand-in trainer exits at once.
let workbench: Workbench | null = null;
const { call, refused } = workbenchCalls(() => workbench!);

afterEach(async () => {
  await workbench?.close();
  workbench = null;
});

async function stoppedRun(): Promise<ReturnType<typeof writeFakeRun>> {
  const run = writeFakeRun({
    steps: [40, 45, 48],
    status: { state: 'stopped', message: 'stopped by SIGTERM' },
    exitCode: 0,
    state: 'stopped',
  });
  workbench = createWorkbench({
    dataDir: run.dataDir,
    trainerPath: run.trainer,
    transport: 'cli',
    version: '0.0.0-test',
    watchRuns: false,
  });
  expect(await call('runs:refresh', { runId: run.runId })).toMatchObject({ state: 'stopped' });
  return run;
}

describe('runs:resume from a chosen checkpoint', { timeout: 30_000 }, () => {
  it('verifies the checkpoint first: a corrupt one is refused and no newer checkpoint is set aside', async () => {
    const run = await stoppedRun();
    const list = await call('checkpoints:list', { runId: run.runId });
    expect(list.map((c) => [c.step, c.status])).toEqual([
      [40, 'complete'],
      [45, 'complete'],
      [48, 'complete'],
    ]);
    const model = join(run.runDir, 'checkpoints', stepName(45), 'model.pt');
    const bytes = readFileSync(model);
    for (let i = 100; i < 108; i += 1) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(model, bytes);

    const err = await refused('runs:resume', { runId: run.runId, checkpointId: list[1]!.id });
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/checkpoint step 45: model\.pt does not match its SHA-1/);
    expect(err.hint).toMatch(/another checkpoint/);
    // Nothing was set aside or started; the newest good checkpoint is still the one to resume from.
    expect(readdirSync(join(run.runDir, 'checkpoints')).sort()).toEqual([stepName(40), stepName(45), stepName(48)]);
    expect(existsSync(join(run.runDir, 'resume.next'))).toBe(false);
    expect(existsSync(join(run.runDir, 'attempts', '2.json'))).toBe(false);
    const after = await call('checkpoints:list', { runId: run.runId });
    expect(after.map((c) => [c.step, c.status, c.newest])).toEqual([
      [40, 'complete', false],
      [45, 'corrupt', false],
      [48, 'complete', true],
    ]);
    expect(await call('runs:get', { runId: run.runId })).toMatchObject({ state: 'stopped', attempt: 1 });
  });

  it('sets newer checkpoints aside only after the chosen one verifies, then starts from it', async () => {
    const run = await stoppedRun();
    const list = await call('checkpoints:list', { runId: run.runId });
    await call('runs:resume', { runId: run.runId, checkpointId: list[1]!.id });
    const names = readdirSync(join(run.runDir, 'checkpoints')).sort();
    expect(names.filter((n) => n.startsWith('step-'))).toEqual([stepName(40), stepName(45)]);
    expect(names.filter((n) => !n.startsWith('step-'))).toEqual([
      expect.stringMatching(new RegExp(`^abandoned-${stepName(48)}-\\d+$`)),
    ]);
    const after = await call('checkpoints:list', { runId: run.runId });
    expect(after.map((c) => [c.step, c.status])).toEqual([
      [40, 'complete'],
      [45, 'complete'],
      [48, 'deleted'],
    ]);
    await waitFor('the stand-in attempt to end', () => existsSync(join(run.runDir, 'exit_code')) || undefined, 10_000);
    expect(readFileSync(join(run.runDir, 'stand-in.args'), 'utf8')).toContain(
      `--resume ${join(run.runDir, 'checkpoints', stepName(45))}`,
    );
    const ended = await waitFor(
      'the run to end',
      async () => {
        const r = await call('runs:refresh', { runId: run.runId });
        return isFinalState(r.state) ? r : undefined;
      },
      10_000,
    );
    expect(ended.state).not.toBe('launching');
  });

  it("reports an attempt that fails at start by its own reason, not the previous attempt's status", async () => {
    const run = await stoppedRun();
    const list = await call('checkpoints:list', { runId: run.runId });
    writeFileSync(join(run.runDir, 'stand-in.mode'), 'exit:1');
    writeFileSync(join(run.runDir, 'stand-in.say'), 'error: cannot load the optimizer state of step 45\n');
    await call('runs:resume', { runId: run.runId, checkpointId: list[1]!.id });
    const ended = await waitFor(
      'the run to end',
      async () => {
        const r = await call('runs:refresh', { runId: run.runId });
        return isFinalState(r.state) ? r : undefined;
      },
      10_000,
    );
    expect(ended).toMatchObject({
      state: 'failed',
      exitCode: 1,
      stateMessage: 'the trainer failed (exit 1): error: cannot load the optimizer state of step 45',
    });
    const detail = await call('runs:get', { runId: run.runId });
    // The exit is the new attempt's; the first attempt's record is left alone.
    expect(detail.attempts.map((a) => [a.attempt, a.exitCode])).toEqual([
      [1, null],
      [2, 1],
    ]);
  });
});

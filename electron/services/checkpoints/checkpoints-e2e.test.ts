import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointInfo } from '../../contract/checkpoints.js';
import { isFinalState, type RunSummary } from '../../contract/runs.js';
import { tempDir, trainerBinary } from '../../test-support/paths.js';
import { requireTrainer } from '../../test-support/trainer.js';
import { waitFor } from '../../test-support/wait.js';
import { dispatch } from '../rpc/dispatch.js';
import { createWorkbench, type Workbench } from '../workbench.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';

// The real trainer on This machine, a real database: tiny runs whose checkpoints are the subject.
const small = {
  'micro-batch-size': '4',
  'seq-len': '64',
  'log-every': '1',
  'router-stats-every': '0',
  'val-every': '0',
};
const endless = { ...small, 'max-steps': '100000', 'checkpoint-every': '4', 'keep-checkpoints': '50' };

let dataDir: string;
let workbench: Workbench;
/** A run stopped after several checkpoints, shared by the tests below (they only read or fork it). */
let parent: RunSummary;

const { call, refused } = workbenchCalls(() => workbench);

const final = (runId: string, ms = 120_000): Promise<RunSummary> =>
  waitFor(
    `run ${runId} to end`,
    async () => {
      const r = await call('runs:refresh', { runId });
      return isFinalState(r.state) ? r : undefined;
    },
    ms,
    200,
  );

const complete = async (runId: string): Promise<CheckpointInfo[]> =>
  (await call('checkpoints:list', { runId })).filter((c) => c.status === 'complete');

/** Points of a run as stored: (series, step, attempt, archived). */
function points(
  runId: string,
  series: string,
): { step: number; attempt: number; archived: number; value: number | null }[] {
  const db = new Database(join(dataDir, 'workbench.db'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT p.step, p.attempt, p.archived, p.value FROM points p JOIN series s ON s.id = p.series_id JOIN runs r ON r.key = p.run_key
       WHERE r.id = ? AND s.name = ? ORDER BY p.step, p.attempt`,
    )
    .all(runId, series) as { step: number; attempt: number; archived: number; value: number | null }[];
  db.close();
  return rows;
}

beforeAll(async () => {
  requireTrainer();
  dataDir = tempDir('moewb-ckpt-');
  workbench = createWorkbench({ dataDir, trainerPath: trainerBinary, transport: 'cli', version: '0.0.0-test' });
  // Run until four interval checkpoints exist, then stop (a fifth, `signal` checkpoint follows).
  ({ run: parent } = await call('runs:launch', { preset: 'jetmoe-tiny', overrides: endless, name: 'parent' }));
  await waitFor(
    'four checkpoints',
    async () => {
      await call('runs:refresh', { runId: parent.id });
      return (await complete(parent.id)).length >= 4;
    },
    120_000,
    200,
  );
  await call('runs:stop', { runId: parent.id });
  parent = await final(parent.id);
}, 240_000);

afterAll(async () => {
  if (!workbench) return;
  for (const run of await call('runs:list', {})) {
    if (!isFinalState(run.state)) await call('runs:kill', { runId: run.id }).catch(() => undefined);
  }
  await workbench.close();
});

describe('checkpoints, resume and fork with the real trainer', { timeout: 120_000 }, () => {
  it('lists the ledger with the newest complete checkpoint marked', async () => {
    expect(parent.state).toBe('stopped');
    const list = await call('checkpoints:list', { runId: parent.id });
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.filter((c) => c.newest)).toEqual([list.at(-1)]);
    // The stop writes a `signal` checkpoint, unless the step it stopped at had its interval checkpoint already.
    expect(list.at(-1)).toMatchObject({
      reason: expect.stringMatching(/^(signal|interval)$/) as unknown,
      status: 'complete',
    });
    expect(list.at(-1)!.step).toBeGreaterThanOrEqual(16);
    for (const c of list) expect(existsSync(join(c.remotePath, 'COMPLETE'))).toBe(true);
  });

  it('downloads a checkpoint verified against its MANIFEST, and refuses a tampered file', async () => {
    const [first, second] = await complete(parent.id);
    const got = await call('checkpoints:download', { checkpointId: first!.id });
    expect(got.localPath).toBe(join(dataDir, 'checkpoints', parent.id, 'step-00000004'));
    for (const f of ['model.pt', 'optimizer.pt', 'trainer.pt', 'config.flags', 'MANIFEST']) {
      expect(readFileSync(join(got.localPath, f)).equals(readFileSync(join(first!.remotePath, f))), f).toBe(true);
    }
    expect((await call('checkpoints:list', { runId: parent.id })).find((c) => c.id === first!.id)?.downloadedPath).toBe(
      got.localPath,
    );

    // Same size, one byte changed: only the SHA-1 can tell.
    const model = join(second!.remotePath, 'model.pt');
    const bytes = readFileSync(model);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(model, bytes);
    const dest = join(tempDir('moewb-dl-'), 'copy');
    const err = await refused('checkpoints:download', { checkpointId: second!.id, dest });
    expect(err.message).toMatch(
      /model\.pt of checkpoint step 8 does not match its MANIFEST \(SHA-1 [0-9a-f]{40}, expected [0-9a-f]{40}\)/,
    );
    expect(err.hint).toMatch(/moewb checkpoints verify/);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(`${dest}.partial`)).not.toContain('model.pt');

    const verified = await call('checkpoints:verify', { checkpointId: second!.id });
    expect(verified).toMatchObject({ ok: false, checkpoint: { status: 'corrupt' } });
    expect(verified.message).toMatch(/model\.pt does not match its SHA-1/);
    expect(verified.files.find((f) => f.name === 'model.pt')).toMatchObject({ ok: false, actualBytes: bytes.length });
    // An evaluation of it fails with the trainer's reason.
    const job = await call('evals:run', { checkpointId: second!.id, kind: 'native', limit: 1024, wait: true });
    expect(job).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/^`moetrain eval` exited with 1: .*model\.pt.*Verify the checkpoint/s) as unknown,
    });
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(model, bytes);
    expect(await call('checkpoints:verify', { checkpointId: second!.id })).toMatchObject({
      ok: true,
      checkpoint: { status: 'complete' },
    });
  });

  it('evaluates a checkpoint natively: loss and perplexity per domain, as moetrain eval reports them', async () => {
    const [, second] = await complete(parent.id);
    const job = await call('evals:run', { checkpointId: second!.id, kind: 'native', limit: 2048, wait: true });
    expect(job).toMatchObject({ state: 'done', kind: 'native', step: 8 });
    const direct = JSON.parse(
      execFileSync(trainerBinary, ['eval', '--checkpoint', second!.remotePath, '--json', '--val-tokens=2048'], {
        encoding: 'utf8',
      }),
    ) as {
      loss: number;
      by_domain: Record<string, number>;
    };
    const results = await call('evals:list', { checkpointId: second!.id });
    const value = (task: string, metric: string): number | null | undefined =>
      results.find((r) => r.task === task && r.metric === metric)?.value;
    expect(value('native', 'loss')).toBe(direct.loss);
    expect(value('native', 'ppl')).toBeCloseTo(Math.exp(direct.loss), 10);
    expect(Object.keys(direct.by_domain).sort()).toEqual(['arithmetic', 'copy', 'dyck', 'grammar']);
    for (const [domain, loss] of Object.entries(direct.by_domain)) {
      expect(value(`native/${domain}`, 'loss'), domain).toBe(loss);
      expect(value(`native/${domain}`, 'ppl'), domain).toBeCloseTo(Math.exp(loss), 10);
    }
    const board = await call('evals:leaderboard', { tasks: ['native'] });
    expect(board.rows).toEqual([
      expect.objectContaining({
        checkpointId: second!.id,
        scores: { 'native/loss': direct.loss, 'native/ppl': Math.exp(direct.loss) },
      }),
    ]);
    expect(board.columns).toEqual([
      { task: 'native', metric: 'loss', higherIsBetter: false },
      { task: 'native', metric: 'ppl', higherIsBetter: false },
    ]);
    expect(board.reference.models.find((m) => m.model === 'JetMoE-8B')?.scores.hellaswag).toBe(0.805);
  });

  it('forks and anneals: the lr decays from the fork point to min lr, the run records its parent', async () => {
    const [, , third] = await complete(parent.id);
    // A phase-2 mixture goes to the trainer only when it has --data-mix; otherwise nothing is created.
    const hasMix = (
      JSON.parse(execFileSync(trainerBinary, ['flags', '--json'], { encoding: 'utf8' })) as { name: string }[]
    ).some((f) => f.name.replace(/^--/, '') === 'data-mix-phase2');
    const runsBefore = (await call('runs:list', {})).length;
    const mixed = await dispatch(workbench.handlers, 'runs:fork', {
      runId: parent.id,
      checkpointId: third!.id,
      anneal: { decaySteps: 4, minLr: 3e-4, dataMixPhase2: 'synthetic:copy=1' },
    });
    if (hasMix) {
      expect(mixed.ok).toBe(true);
      const forked = (mixed as { value: { run: RunSummary } }).value.run;
      expect(readFileSync(join(forked.remoteDir, 'run.flags'), 'utf8')).toMatch(
        /^--data-mix-phase2=synthetic:copy=1$/m,
      );
      await final(forked.id);
    } else {
      expect(mixed).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_request',
          message: expect.stringContaining('has no --data-mix-phase2 flag') as unknown,
        },
      });
      expect((await call('runs:list', {})).length).toBe(runsBefore);
    }
    const { run } = await call('runs:fork', {
      runId: parent.id,
      checkpointId: third!.id,
      name: 'anneal',
      anneal: { decaySteps: 10, form: 'exponential', minLr: 3e-4 },
      evalEvery: { tokens: 1024, kind: 'native', limit: 1024 },
    });
    expect(run).toMatchObject({
      parentRunId: parent.id,
      parentCheckpointId: third!.id,
      evalEvery: { tokens: 1024, kind: 'native' },
    });
    const done = await final(run.id);
    expect(done).toMatchObject({ state: 'completed', lastStep: 10 });
    const lr = points(run.id, 'train/lr').map((p) => p.value as number);
    expect(lr).toHaveLength(10);
    for (let i = 1; i < lr.length; i += 1) expect(lr[i]!, `step ${i + 1}`).toBeLessThan(lr[i - 1]!);
    expect(lr[0]!).toBeLessThan(3e-3);
    expect(lr.at(-1)!).toBeCloseTo(3e-4, 12);
    const header = JSON.parse(readFileSync(join(run.remoteDir, 'metrics.jsonl'), 'utf8').split('\n')[0]!) as {
      fork: { checkpoint: string; step: number };
    };
    expect(header.fork).toMatchObject({ checkpoint: third!.remotePath, step: 12 });
    // Checkpoints at 4 and 8 cross the multiples 1024 and 2048 of the run's evalEvery; each is evaluated once.
    const jobs = await waitFor(
      'the scheduled evaluations',
      async () => {
        const all = await call('evals:jobs', { runId: run.id });
        return all.length >= 2 && all.every((j) => j.state === 'done' || j.state === 'failed') ? all : undefined;
      },
      60_000,
      200,
    );
    expect(jobs.map((j) => [j.step, j.trigger, j.state]).sort()).toEqual([
      [4, 'schedule', 'done'],
      [8, 'schedule', 'done'],
    ]);
  });

  it('resumes from a middle checkpoint: the curve continues from its step, without duplicates', async () => {
    const [, second] = await complete(parent.id);
    const before = await call('checkpoints:list', { runId: parent.id });
    await call('runs:resume', { runId: parent.id, checkpointId: second!.id });
    // The newest complete checkpoint of a running run cannot be deleted; an older one can.
    const live = await waitFor(
      'a checkpoint of the new attempt past step 12',
      async () => {
        await call('runs:refresh', { runId: parent.id });
        return (await complete(parent.id)).find((c) => c.attempt === 2 && c.newest && c.step >= 12);
      },
      60_000,
      200,
    );
    const err = await refused('checkpoints:delete', { checkpointId: live.id });
    expect(err).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('newest complete checkpoint') as unknown,
    });
    const [first] = await complete(parent.id);
    expect(await call('checkpoints:delete', { checkpointId: first!.id })).toMatchObject({ status: 'deleted' });
    expect(existsSync(first!.remotePath)).toBe(false);
    await call('runs:stop', { runId: parent.id });
    const stopped = await final(parent.id);
    expect(stopped).toMatchObject({ state: 'stopped', attempt: 2 });

    const detail = await call('runs:get', { runId: parent.id });
    expect(detail.attempts.map((a) => [a.attempt, a.resumeStep])).toEqual([
      [1, null],
      [2, 8],
    ]);
    expect(detail.attempts[1]?.resumeCheckpoint).toContain('step-00000008');
    expect(readFileSync(join(parent.remoteDir, 'attempts', '2.json'), 'utf8')).toContain(
      `"resume": "${second!.remotePath}"`,
    );
    const loss = points(parent.id, 'train/loss');
    const visible = loss.filter((p) => p.archived === 0);
    expect(visible.map((p) => p.step)).toEqual(Array.from({ length: visible.length }, (_, i) => i + 1));
    expect(visible.filter((p) => p.attempt === 2)[0]?.step).toBe(9);
    expect(visible.filter((p) => p.step <= 8).every((p) => p.attempt === 1)).toBe(true);
    // The first attempt's steps after 8 are kept, archived.
    const lastOfFirst = Math.max(...loss.filter((p) => p.attempt === 1).map((p) => p.step));
    expect(loss.filter((p) => p.attempt === 1 && p.step > 8).every((p) => p.archived === 1)).toBe(true);
    expect(lastOfFirst).toBeGreaterThan(12);
    // Checkpoints after step 8 of the first attempt were set aside, not left for `--resume auto` to find.
    const abandoned = before.filter((c) => c.step > 8 && c.attempt === 1);
    const after = await call('checkpoints:list', { runId: parent.id });
    for (const c of abandoned) expect(after.find((x) => x.id === c.id)?.status).toBe('deleted');
    expect(
      readdirSync(join(parent.remoteDir, 'checkpoints')).filter((n) => n.startsWith('abandoned-step-')),
    ).toHaveLength(abandoned.length);
  });
});

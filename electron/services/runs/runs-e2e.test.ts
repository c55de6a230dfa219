import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsAppended } from '../../contract/metrics.js';
import { isFinalState, type RunSummary } from '../../contract/runs.js';
import { compiledCli } from '../../test-support/compiled.js';
import { expectedPoints, pointKey } from '../../test-support/metrics-file.js';
import { tempDir, trainerBinary } from '../../test-support/paths.js';
import { requireTrainer } from '../../test-support/trainer.js';
import { waitFor } from '../../test-support/wait.js';
import { dispatch } from '../rpc/dispatch.js';
import { createWorkbench, type Workbench } from '../workbench.js';
import { heartbeatInterval } from './monitor.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';

// The real trainer on This machine, the real wrapper, a real database: the tiny preset, few steps.
// Small batches: the point is the workbench around the trainer, not training speed.
const small = { 'micro-batch-size': '4', 'seq-len': '64' };
const quick = {
  ...small,
  'max-steps': '24',
  'warmup-steps': '2',
  'decay-steps': '4',
  'log-every': '1',
  'val-every': '12',
  'val-tokens': '2048',
  'router-stats-every': '6',
  'checkpoint-every': '12',
};
const long = {
  ...small,
  'max-steps': '100000',
  'log-every': '1',
  'checkpoint-every': '1000000',
  'router-stats-every': '50',
};

let dataDir: string;
let workbench: Workbench;

const { call } = workbenchCalls(() => workbench);

const state = async (runId: string): Promise<RunSummary> => call('runs:get', { runId });
const final = (runId: string, ms = 180_000): Promise<RunSummary> =>
  waitFor(
    `run ${runId} to end`,
    async () => {
      const r = await state(runId);
      return isFinalState(r.state) ? r : undefined;
    },
    ms,
  );
const running = (runId: string, minStep = 1): Promise<RunSummary> =>
  waitFor(
    `run ${runId} to be running past step ${minStep}`,
    async () => {
      const r = await state(runId);
      if (isFinalState(r.state)) throw new Error(`run ended: ${r.state} ${r.stateMessage}`);
      return r.state === 'running' && (r.lastStep ?? 0) >= minStep ? r : undefined;
    },
    120_000,
  );

/** True while a process runs (a zombie waiting for its parent to reap it does not count). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function storedPoints(runId: string): Map<string, { value: number | null; archived: number }> {
  const db = new Database(join(dataDir, 'workbench.db'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT p.attempt, s.name AS series, p.step, p.value, p.archived FROM points p JOIN series s ON s.id = p.series_id
       JOIN runs r ON r.key = p.run_key WHERE r.id = ?`,
    )
    .all(runId) as { attempt: number; series: string; step: number; value: number | null; archived: number }[];
  db.close();
  return new Map(rows.map((r) => [pointKey(r), r]));
}

beforeAll(() => {
  requireTrainer();
  dataDir = tempDir('moewb-e2e-');
  workbench = createWorkbench({ dataDir, trainerPath: trainerBinary, transport: 'cli', version: '0.0.0-test' });
});

afterAll(async () => {
  // Leave no trainer behind.
  if (!workbench) return;
  for (const run of await call('runs:list', {})) {
    if (!isFinalState(run.state)) await call('runs:kill', { runId: run.id }).catch(() => undefined);
  }
  await workbench.close();
});

describe('runs on This machine with the real trainer', { timeout: 300_000 }, () => {
  it('launches the tiny preset and stores exactly the complete lines of metrics.jsonl', async () => {
    const appended: MetricsAppended[] = [];
    const off = workbench.events.on('metrics:appended', (m) => appended.push(m));
    const { run, warnings } = await call('runs:launch', { preset: 'jetmoe-tiny', overrides: quick, name: 'tiny e2e' });
    expect(run.id).toMatch(/^r-\d{8}-[0-9a-f]{6}$/);
    expect(Array.isArray(warnings)).toBe(true);
    const runJson = JSON.parse(readFileSync(join(run.remoteDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(runJson).toMatchObject({
      format: 1,
      run_id: run.id,
      name: 'tiny e2e',
      preset: 'jetmoe-tiny',
      overrides: quick,
    });
    expect(readFileSync(join(run.remoteDir, 'run.flags'), 'utf8')).toMatch(/^--max-steps=24$/m);

    const done = await final(run.id);
    off();
    expect(done).toMatchObject({ state: 'completed', exitCode: 0, lastStep: 24, attempt: 1 });
    const expected = expectedPoints(join(run.remoteDir, 'metrics.jsonl'));
    const stored = storedPoints(run.id);
    expect(expected.length).toBeGreaterThan(24);
    expect(stored.size).toBe(expected.length);
    for (const e of expected) expect(stored.get(pointKey(e))?.value, pointKey(e)).toBe(e.value);
    expect(appended.filter((m) => m.runId === run.id).reduce((n, m) => n + m.points, 0)).toBe(expected.length);

    const detail = await call('runs:get', { runId: run.id });
    expect(detail.checkpoints.map((c) => c.step)).toContain(24);
    expect(detail.attempts).toEqual([expect.objectContaining({ attempt: 1, exitCode: 0, state: 'completed' })]);
    expect(detail.ingest).toMatchObject({ errorCount: 0, blocked: null });
    const series = await call('metrics:list', { runId: run.id });
    expect(series.map((s) => s.name)).toEqual(expect.arrayContaining(['train/loss', 'train/lr', 'val/loss']));
    const router = await call('metrics:router', { runId: run.id });
    expect(router.snapshot?.layers.length).toBeGreaterThan(0);
  });

  it("refuses a bad flag with the trainer's own message", async () => {
    const r = await dispatch(workbench.handlers, 'runs:launch', {
      preset: 'jetmoe-tiny',
      overrides: { 'hidden-size': 'lots' },
    });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('hidden-size') as unknown },
    });
  });

  it('stops a run with SIGTERM (stopped, with a checkpoint), then resumes it as a new attempt', async () => {
    const { run } = await call('runs:launch', { preset: 'jetmoe-tiny', overrides: long });
    await running(run.id, 3);
    await call('runs:stop', { runId: run.id });
    const stopped = await final(run.id);
    expect(stopped).toMatchObject({ state: 'stopped', exitCode: 0 });
    const detail = await call('runs:get', { runId: run.id });
    const checkpoint = detail.checkpoints.at(-1);
    expect(checkpoint).toMatchObject({ reason: 'signal', status: 'complete' });
    expect(existsSync(join(run.remoteDir, checkpoint!.path, 'COMPLETE'))).toBe(true);

    await call('runs:resume', { runId: run.id });
    await running(run.id, checkpoint!.step + 2);
    await call('runs:stop', { runId: run.id });
    const again = await final(run.id);
    expect(again).toMatchObject({ state: 'stopped', attempt: 2 });
    const attempts = (await call('runs:get', { runId: run.id })).attempts;
    expect(attempts.map((a) => [a.attempt, a.resumeStep])).toEqual([
      [1, null],
      [2, checkpoint!.step],
    ]);
    // One visible point per step, whatever the attempts wrote.
    const loss = await call('metrics:series', { runId: run.id, series: 'train/loss', maxPoints: 1_000_000 });
    if (loss.mode !== 'raw') throw new Error('expected raw points');
    const steps = loss.points.map((p) => p.step);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('reports a trainer killed with SIGKILL as failed within two heartbeat intervals', async () => {
    const { run } = await call('runs:launch', { preset: 'jetmoe-tiny', overrides: long });
    await running(run.id, 2);
    const interval = heartbeatInterval({ config: (await call('runs:get', { runId: run.id })).config });
    const pid = Number(readFileSync(join(run.remoteDir, 'trainer.pid'), 'utf8'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const failed = await final(run.id, 2 * interval * 1000);
    expect(failed.state).toBe('failed');
    expect(failed.stateMessage).toMatch(/signal 9|killed/);
    expect(Date.now() - killedAt).toBeLessThan(2 * interval * 1000);
  });

  it("kills a run's process group on request", async () => {
    const { run } = await call('runs:launch', { preset: 'jetmoe-tiny', overrides: long });
    await running(run.id, 2);
    const pid = Number(readFileSync(join(run.remoteDir, 'trainer.pid'), 'utf8'));
    const wrapper = Number(readFileSync(join(run.remoteDir, 'wrapper.pid'), 'utf8'));
    const killed = await call('runs:kill', { runId: run.id });
    expect(killed).toMatchObject({
      state: 'failed',
      stateMessage: expect.stringContaining('killed on request') as unknown,
    });
    expect(alive(pid)).toBe(false);
    expect(alive(wrapper)).toBe(false);
    expect(existsSync(join(run.remoteDir, 'exit_code'))).toBe(false);
    expect((await call('runs:refresh', { runId: run.id })).state).toBe('failed');
  });

  it('keeps training after the process that launched it is killed -9', async () => {
    const cli = spawn(
      process.execPath,
      [
        compiledCli(),
        '--data-dir',
        dataDir,
        '--trainer',
        trainerBinary,
        'launch',
        '--preset',
        'jetmoe-tiny',
        ...Object.entries(long).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
        '--follow',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    cli.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const runId = await waitFor(
      'the CLI to launch a run',
      () => /launched (r-\d{8}-[0-9a-f]{6})/.exec(out)?.[1],
      120_000,
    );
    await waitFor('the CLI to print steps', () => /^step \d+/m.test(out), 120_000);
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    const dir = (await state(runId)).remoteDir;
    const beat = (): number => (JSON.parse(readFileSync(join(dir, 'heartbeat'), 'utf8')) as { time: number }).time;
    const first = beat();
    await waitFor('the heartbeat to advance', () => beat() > first, 60_000, 200);
    const seen = await call('runs:refresh', { runId });
    expect(seen.state).toBe('running');
    await call('runs:stop', { runId });
    expect((await final(runId)).state).toBe('stopped');
  });
});

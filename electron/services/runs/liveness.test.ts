import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { LocalNode } from '../nodes/local-node.js';
import { judge, observe, type JudgeContext, type Observation } from './liveness.js';

const runId = 'r-20261129-5ca1ab';
const ctx: JudgeContext = { heartbeatInterval: 2, stopRequested: false, lastStatus: null, launching: false };
const alive: Observation = {
  dirExists: true,
  now: 1000,
  bootId: 'boot-a',
  recordedBootId: 'boot-a',
  trainerPid: 42,
  trainer: 'match',
  wrapperPid: 41,
  wrapper: 'match',
  heartbeat: { time: 999, step: 10, phase: 'train' },
  attempt: { attempt: 1, startedAt: 900 },
  exitCode: null,
};

describe('judge', () => {
  it('calls a run running only with a live matching pid, the same boot and a fresh heartbeat', () => {
    expect(judge(alive, ctx).state).toBe('running');
    expect(judge(alive, { ...ctx, stopRequested: true }).state).toBe('stopping');
    expect(judge({ ...alive, heartbeat: { time: 993, step: 10, phase: 'train' } }, ctx)).toMatchObject({
      state: 'unresponsive',
    });
    // A reused pid (its command line lacks the run id) is never the trainer.
    expect(judge({ ...alive, trainer: 'other' }, ctx).state).toBeNull();
    expect(judge({ ...alive, trainer: 'other', wrapper: 'dead' }, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('another process') as unknown,
    });
    expect(judge({ ...alive, recordedBootId: 'boot-old' }, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('rebooted') as unknown,
    });
  });

  it('reads the exit code: completed, stopped, or failed with the reason', () => {
    const ended = { ...alive, trainer: 'dead' as const, wrapper: 'dead' as const };
    expect(judge({ ...ended, exitCode: 0 }, ctx).state).toBe('completed');
    expect(judge({ ...ended, exitCode: 0 }, { ...ctx, stopRequested: true }).state).toBe('stopped');
    expect(
      judge({ ...ended, exitCode: 0 }, { ...ctx, lastStatus: { state: 'stopped', message: 'SIGTERM' } }).state,
    ).toBe('stopped');
    expect(judge({ ...ended, exitCode: 137 }, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('signal 9') as unknown,
    });
    expect(judge({ ...ended, exitCode: 3 }, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('non-finite') as unknown,
    });
    expect(judge({ ...ended, exitCode: null }, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('killed') as unknown,
    });
    // The wrapper is still there: it is about to write the exit code, so nothing is decided yet.
    expect(judge({ ...alive, trainer: 'dead' }, ctx).state).toBeNull();
  });

  it('gives a starting trainer time before its first heartbeat, and a fresh launch time to record its pids', () => {
    const starting = { ...alive, heartbeat: null, attempt: { attempt: 2, startedAt: 995 } };
    expect(judge(starting, ctx)).toMatchObject({ state: 'running', message: 'starting' });
    expect(judge({ ...starting, now: 2000 }, ctx).state).toBe('unresponsive');
    const empty = {
      ...alive,
      trainerPid: null,
      trainer: 'none' as const,
      wrapperPid: null,
      wrapper: 'none' as const,
      heartbeat: null,
      attempt: null,
    };
    expect(judge(empty, { ...ctx, launching: true }).state).toBeNull();
    expect(judge(empty, ctx).state).toBe('failed');
  });
});

describe('observe on This machine', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  /** A real process; with `named`, its command line contains the run id (as a trainer's does). */
  function process_(named: boolean): ChildProcess {
    const child = named
      ? spawn('sh', ['-c', 'sleep 60; true', runId], { stdio: 'ignore' })
      : spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  function runDir(pid: number, bootId: string): string {
    const dir = tempDir('moewb-live-');
    writeFileSync(join(dir, 'trainer.pid'), `${pid}\n`);
    writeFileSync(join(dir, 'boot_id'), `${bootId}\n`);
    writeFileSync(join(dir, 'heartbeat'), JSON.stringify({ time: Date.now() / 1000, step: 5, phase: 'train' }));
    return dir;
  }

  const thisBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

  it('sees a live trainer with a fresh heartbeat as running (the control for the cases below)', async () => {
    const dir = runDir(process_(true).pid!, thisBoot);
    const seen = await observe(new LocalNode(), dir, runId);
    expect(seen).toMatchObject({ trainer: 'match', bootId: thisBoot, recordedBootId: thisBoot });
    expect(judge(seen, ctx).state).toBe('running');
  });

  it('never calls a reused pid (a process whose command line lacks the run id) running', async () => {
    const dir = runDir(process_(false).pid!, thisBoot);
    const seen = await observe(new LocalNode(), dir, runId);
    expect(seen.trainer).toBe('other');
    expect(judge(seen, ctx).state).toBe('failed');
  });

  it('calls a run recorded under a previous boot failed, even when its pid is alive', async () => {
    const dir = runDir(process_(true).pid!, randomUUID());
    const seen = await observe(new LocalNode(), dir, runId);
    expect(seen.trainer).toBe('match');
    expect(judge(seen, ctx)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('rebooted') as unknown,
    });
  });

  it('calls a trainer killed without an exit code failed', async () => {
    const child = process_(true);
    const dir = runDir(child.pid!, thisBoot);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const seen = await observe(new LocalNode(), dir, runId);
    expect(seen.trainer).toBe('dead');
    expect(judge(seen, ctx)).toMatchObject({ state: 'failed', message: expect.stringContaining('killed') as unknown });
  });

  it('reports a missing run directory', async () => {
    const seen = await observe(new LocalNode(), join(tempDir(), 'nope'), runId);
    expect(seen.dirExists).toBe(false);
    expect(judge(seen, ctx).state).toBe('failed');
  });
});

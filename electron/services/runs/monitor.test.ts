import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsAppended } from '../../contract/metrics.js';
import type { RunSummary } from '../../contract/runs.js';
import { tempDir } from '../../test-support/paths.js';
import { writeStandInTrainer } from '../../test-support/stand-in-trainer.js';
import { openTestStore } from '../../test-support/store.js';
import { waitFor } from '../../test-support/wait.js';
import { syntheticStream } from '../metrics/bench/synthetic-stream.js';
import { IngestWriter } from '../metrics/ingest-writer.js';
import { LocalNode } from '../nodes/local-node.js';
import { NodePool } from '../nodes/node-pool.js';
import { NodeStore } from '../nodes/node-store.js';
import { EventBus } from '../util/event-bus.js';
import { detachCommand, launchScript } from './launch-script.js';
import { RunMonitor } from './monitor.js';
import { RunStore } from './run-store.js';

const runId = 'r-20261129-4d4d4d';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/** A watched run whose wrapper runs the stand-in trainer (heartbeats; no metrics of its own). */
async function watchedRun(): Promise<{ runs: RunStore; events: EventBus; dir: string; monitor: RunMonitor }> {
  const { db } = openTestStore();
  const base = tempDir('moewb-mon-');
  const dir = join(base, runId);
  mkdirSync(dir);
  writeFileSync(join(dir, 'launch.sh'), launchScript({ runDir: dir, runId, trainer: writeStandInTrainer(base) }));
  const runs = new RunStore(db);
  runs.create({
    id: runId,
    name: 'watched',
    nodeId: 'local',
    deploymentId: null,
    trainerHash: null,
    preset: 'jetmoe-tiny',
    overrides: {},
    flags: '',
    config: { flags: { 'heartbeat-every': 1 } },
    remoteDir: dir,
    tags: [],
    notes: '',
  });
  const events = new EventBus();
  const monitor = new RunMonitor(runs, new NodePool(new NodeStore(db)), new IngestWriter(db), events);
  await new LocalNode().exec(['sh', '-c', detachCommand(dir)]);
  monitor.watch(runId, true);
  cleanup.push(async () => {
    await monitor.close();
    const pgid = existsSync(join(dir, 'wrapper.pid')) ? Number(readFileSync(join(dir, 'wrapper.pid'), 'utf8')) : 0;
    if (pgid) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  return { runs, events, dir, monitor };
}

describe('RunMonitor', () => {
  it('delivers new points within a second of their line being written', async () => {
    const { runs, events, dir } = await watchedRun();
    await waitFor('running', () => runs.get(runId).state === 'running', 20_000);
    const lines = [...syntheticStream({ runId, steps: 12 })];
    const arrivals: { step: number; at: number }[] = [];
    events.on('metrics:appended', (m: MetricsAppended) => arrivals.push({ step: m.toStep ?? 0, at: Date.now() }));
    appendFileSync(join(dir, 'metrics.jsonl'), `${lines[0]}\n`);
    for (let step = 1; step <= 12; step++) {
      const written = Date.now();
      appendFileSync(join(dir, 'metrics.jsonl'), `${lines[step]}\n`);
      const got = await waitFor(`step ${step}`, () => arrivals.find((a) => a.step === step), 5_000, 10);
      expect(got.at - written).toBeLessThan(1000);
    }
    expect(runs.get(runId).lastStep).toBe(12);
  });

  it('reports a trainer killed with SIGKILL as failed within two heartbeat intervals', async () => {
    const { runs, events, dir } = await watchedRun();
    await waitFor('running', () => runs.get(runId).state === 'running', 20_000);
    const changes: RunSummary[] = [];
    events.on('runs:changed', ({ run }) => changes.push(run));
    const killedAt = Date.now();
    process.kill(Number(readFileSync(join(dir, 'trainer.pid'), 'utf8')), 'SIGKILL');
    const failed = await waitFor('failed', () => changes.find((r) => r.state === 'failed'), 2_000, 10);
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(failed).toMatchObject({ exitCode: 137, stateMessage: expect.stringContaining('signal 9') as unknown });
    expect(changes.some((r) => r.state === 'running')).toBe(false);
  });

  it('calls a run whose trainer was stopped with SIGTERM stopped once its stop was asked for', async () => {
    const { runs, dir } = await watchedRun();
    await waitFor('running', () => runs.get(runId).state === 'running', 20_000);
    runs.setState(runId, { state: 'stopping', stopRequested: true });
    process.kill(Number(readFileSync(join(dir, 'trainer.pid'), 'utf8')), 'SIGTERM');
    const stopped = await waitFor(
      'stopped',
      () => (runs.get(runId).state === 'stopped' ? runs.get(runId) : undefined),
      10_000,
    );
    expect(stopped).toMatchObject({ exitCode: 0 });
    expect(stopped.endedAt).not.toBeNull();
  });
});

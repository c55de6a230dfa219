import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../services/db/database.js';
import { IngestWriter } from '../services/metrics/ingest-writer.js';
import { StreamIngester } from '../services/metrics/stream-ingester.js';
import { LocalNode } from '../services/nodes/local-node.js';
import { writeFakeRun } from '../test-support/fake-run.js';
import { moewb } from '../test-support/moewb.js';

// Runs that ended while nobody watched: the database still says "running" (or "stopped") and the run
// directory says otherwise. The CLI never acts on such a stored state; it looks at the node first.
const ended = (status: { state: string; message: string }, state: 'running' | 'stopped' = 'running') =>
  writeFakeRun({ steps: [4, 8], status, exitCode: 0, state });
const completed = { state: 'completed', message: 'reached --max-steps' };

describe('moewb with a stored run state the node contradicts', { timeout: 30_000 }, () => {
  it('runs list shows a run that completed unwatched as completed', async () => {
    const run = ended(completed);
    const list = await moewb(run.dataDir, run.trainer, 'runs', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({ id: run.runId, state: 'completed', stateMessage: 'reached --max-steps' }),
    ]);
  });

  it('metrics ingest that reads the final status record settles the state', async () => {
    const run = ended(completed);
    expect((await moewb(run.dataDir, run.trainer, 'metrics', 'ingest', run.runId)).code).toBe(0);
    // Read straight from the database (no command that looks at the node itself).
    const { db } = openDatabase(join(run.dataDir, 'workbench.db'));
    expect(db.prepare('SELECT state FROM runs WHERE id = ?').pluck().get(run.runId)).toBe('completed');
    db.close();
  });

  it('metrics ingest settles the state of a run whose final status record was read before', async () => {
    const run = ended(completed);
    const { db } = openDatabase(join(run.dataDir, 'workbench.db'));
    const key = db.prepare('SELECT key FROM runs WHERE id = ?').pluck().get(run.runId) as number;
    const stream = join(run.runDir, 'metrics.jsonl');
    await new StreamIngester(new IngestWriter(db), new LocalNode(), key, run.runId, stream).poll();
    expect(db.prepare('SELECT state FROM runs WHERE id = ?').pluck().get(run.runId)).toBe('running');
    const again = await moewb(run.dataDir, run.trainer, 'metrics', 'ingest', run.runId);
    expect(again.out).toMatch(/\+0 lines/);
    expect(db.prepare('SELECT state FROM runs WHERE id = ?').pluck().get(run.runId)).toBe('completed');
    db.close();
  });

  it('runs resume of a run stored as running that has stopped resumes it', async () => {
    const run = ended({ state: 'stopped', message: 'stopped by SIGTERM' });
    const r = await moewb(run.dataDir, run.trainer, 'runs', 'resume', run.runId);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(run.runDir, 'attempts', '2.json'))).toBe(true);
  });

  it('runs stop of a run that already ended says so, and names no command the CLI lacks', async () => {
    const run = ended(completed);
    const r = await moewb(run.dataDir, run.trainer, 'runs', 'stop', run.runId);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already ended: completed \(reached --max-steps\)/);
    expect(r.err).not.toMatch(/Refresh the run/);
  });

  it('runs resume whose new attempt fails at once exits non-zero with the reason', async () => {
    const run = ended({ state: 'stopped', message: 'stopped by SIGTERM' }, 'stopped');
    writeFileSync(join(run.runDir, 'stand-in.mode'), 'exit:1');
    writeFileSync(join(run.runDir, 'stand-in.say'), 'error: out of memory loading the optimizer state\n');
    const r = await moewb(run.dataDir, run.trainer, 'runs', 'resume', run.runId);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/failed as it resumed: the trainer failed \(exit 1\): error: out of memory/);
  });

  it('runs resume of a run whose directory is gone fails with that reason', async () => {
    const run = ended({ state: 'stopped', message: 'stopped by SIGTERM' }, 'stopped');
    rmSync(run.runDir, { recursive: true });
    const r = await moewb(run.dataDir, run.trainer, 'runs', 'resume', run.runId);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/the run directory is gone from the node/);
  });
});

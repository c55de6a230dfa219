import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../services/db/database.js';
import { compiledCli } from '../test-support/compiled.js';
import { writeFakeRun } from '../test-support/fake-run.js';
import { waitFor } from '../test-support/processes.js';
import { moewb } from '../test-support/moewb.js';

// A run directory that is missing for a while (moved aside, a disk not mounted) must not stop ingestion
// or lose checkpoints for good: issue 15, item 2, with its reproduction.
const stopped = () =>
  writeFakeRun({
    steps: [40, 55],
    status: { state: 'stopped', message: 'stopped by SIGTERM' },
    exitCode: 0,
    state: 'stopped',
  });

const stepLine = (step: number): string =>
  JSON.stringify({ type: 'step', step, loss: 1.5, time: 1_767_300_000 + step }) + '\n';

function storedSteps(dataDir: string): number[] {
  const { db } = openDatabase(join(dataDir, 'workbench.db'));
  try {
    return db
      .prepare(
        "SELECT p.step FROM points p JOIN series s ON s.id = p.series_id WHERE s.name = 'train/loss' ORDER BY p.step",
      )
      .pluck()
      .all() as number[];
  } finally {
    db.close();
  }
}

describe('a run directory missing for a while', { timeout: 60_000 }, () => {
  it('metrics ingest resumes where it stopped once the same file is back, and verify restores the checkpoint', async () => {
    const run = stopped();
    const W = (...argv: string[]) => moewb(run.dataDir, run.trainer, ...argv);
    const first = await W('metrics', 'ingest', run.runId);
    expect(first.code).toBe(0);
    const linesBefore = readFileSync(join(run.runDir, 'metrics.jsonl'), 'utf8').split('\n').length - 1;
    expect(first.out).toContain(`+${linesBefore} lines`);

    const aside = join(run.dataDir, 'aside');
    renameSync(run.runDir, aside);
    const during = await W('metrics', 'ingest', run.runId);
    expect(during.code).toBe(1);
    expect(during.err).toContain(`is missing (${linesBefore} lines were read from it)`);
    expect(during.err).toMatch(/resumes at line \d+ once the same file is back/);
    expect(during.err).not.toMatch(/STOPPED|disappeared/);
    const verifyDuring = await W('checkpoints', 'verify', `${run.runId}@55`);
    expect(verifyDuring.code).toBe(1);
    expect(verifyDuring.out).toMatch(/^NOT FOUND: .* was not found on the node; the checkpoint is marked deleted/);

    renameSync(aside, run.runDir);
    // The trainer went on meanwhile (a resumed attempt): the new lines are read, the old ones not again.
    appendFileSync(join(run.runDir, 'metrics.jsonl'), stepLine(56) + stepLine(57));
    const after = await W('metrics', 'ingest', run.runId);
    expect(after.err).toBe('');
    expect(after.code).toBe(0);
    expect(after.out).toContain('+2 lines');
    expect(storedSteps(run.dataDir)).toEqual([40, 55, 56, 57]);

    const verifyAfter = await W('checkpoints', 'verify', `${run.runId}@55`);
    expect(verifyAfter.code).toBe(0);
    expect(verifyAfter.out).toMatch(/^ok: all 1 files match the MANIFEST/);
    const list = JSON.parse((await W('checkpoints', 'list', run.runId, '--json')).out) as {
      step: number;
      status: string;
      newest: boolean;
    }[];
    expect(list.map((c) => [c.step, c.status, c.newest])).toEqual([
      [40, 'complete', false],
      [55, 'complete', true],
    ]);
  });

  it('a stream an older build stopped as "disappeared" goes on once the file is back', async () => {
    const run = stopped();
    const W = (...argv: string[]) => moewb(run.dataDir, run.trainer, ...argv);
    expect((await W('metrics', 'ingest', run.runId)).code).toBe(0);
    // What the previous build left in the database after one ingest during an outage.
    const { db } = openDatabase(join(run.dataDir, 'workbench.db'));
    db.prepare('UPDATE ingest_cursors SET blocked = ? WHERE run_id = ?').run(
      `${join(run.runDir, 'metrics.jsonl')} disappeared after 6 lines were read.`,
      run.runId,
    );
    db.close();
    appendFileSync(join(run.runDir, 'metrics.jsonl'), stepLine(60));
    const after = await W('metrics', 'ingest', run.runId);
    expect(after.err).toBe('');
    expect(after.out).toMatch(/\+1 lines, \+1 points/);
    expect(storedSteps(run.dataDir)).toEqual([40, 55, 60]);
  });

  it('a different file in its place stops reading, says so, and --from-start reads it', async () => {
    const run = stopped();
    const W = (...argv: string[]) => moewb(run.dataDir, run.trainer, ...argv);
    expect((await W('metrics', 'ingest', run.runId)).code).toBe(0);
    const stream = join(run.runDir, 'metrics.jsonl');
    const header = readFileSync(stream, 'utf8').split('\n')[0] as string;
    writeFileSync(`${stream}.new`, `${header}\n${stepLine(70)}`);
    renameSync(`${stream}.new`, stream);
    const replaced = await W('metrics', 'ingest', run.runId);
    expect(replaced.code).toBe(1);
    expect(replaced.err).toMatch(/was replaced by another file \(inode \d+ became \d+\)/);
    expect(replaced.err).toContain(`moewb metrics ingest ${run.runId} --from-start`);
    expect(storedSteps(run.dataDir)).toEqual([40, 55]);
    // Asked again, it stays stopped: nothing is read from a file nobody accepted.
    expect((await W('metrics', 'ingest', run.runId)).code).toBe(1);

    const accepted = await W('metrics', 'ingest', run.runId, '--from-start');
    expect(accepted.err).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain('+2 lines');
    expect(storedSteps(run.dataDir)).toEqual([40, 55, 70]);
    appendFileSync(stream, stepLine(71));
    expect((await W('metrics', 'ingest', run.runId)).out).toContain('+1 lines');
    expect(storedSteps(run.dataDir)).toEqual([40, 55, 70, 71]);
  });

  it('metrics ingest --watch waits through the outage and reads on when the file is back', async () => {
    const run = stopped();
    const child = spawn(
      process.execPath,
      [compiledCli(), '--data-dir', run.dataDir, 'metrics', 'ingest', run.runId, '--watch', '--interval', '50'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: join(run.dataDir, 'home') } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /\+\d+ lines/.test(out), 'the first read', 30_000);
      const aside = join(run.dataDir, 'aside');
      renameSync(run.runDir, aside);
      await waitFor(() => err.includes('waiting: ') && err.includes('is missing'), 'the outage to be reported', 10_000);
      renameSync(aside, run.runDir);
      appendFileSync(join(run.runDir, 'metrics.jsonl'), stepLine(56));
      await waitFor(() => out.includes('+1 lines, +1 points'), 'the line written during the outage', 10_000);
      expect(err.match(/waiting: /g)).toHaveLength(1); // said once, not at every poll
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(storedSteps(run.dataDir)).toEqual([40, 55, 56]);
  });
});

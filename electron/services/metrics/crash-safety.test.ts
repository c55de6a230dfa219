import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appenderSource } from '../../test-support/appender.js';
import { compiledCli } from '../../test-support/compiled.js';
import { expectedPoints, pointKey } from '../../test-support/metrics-file.js';
import { tempDir } from '../../test-support/paths.js';
import { insertRun } from '../../test-support/store.js';
import { summaryMismatches } from '../../test-support/summaries.js';
import { checkIntegrity, openDatabase } from '../db/database.js';

const runId = 'r-20261129-c0ffee';

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Resolves when the child has printed something (it committed lines), has exited, or after 2 s. */
function firstOutput(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', () => resolve());
    setTimeout(resolve, 2000);
  });
}

// Every process this test starts, so none outlives it (not even after a failure or a timeout).
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('ingestion under kill -9', () => {
  it('loses and duplicates nothing when the ingesting process is killed at random moments', async () => {
    const cli = compiledCli();
    const dataDir = tempDir('moewb-crash-');
    const runDir = join(dataDir, 'runs', runId);
    const file = join(runDir, 'metrics.jsonl');
    const opened = openDatabase(join(dataDir, 'workbench.db'));
    insertRun(opened.db, runId, runDir);
    opened.db.close();

    const appenderFile = join(dataDir, 'appender.mjs');
    writeFileSync(appenderFile, appenderSource);
    mkdirSync(runDir, { recursive: true });
    const appender = spawn(process.execPath, [appenderFile, file, runId, '1000000'], { stdio: 'ignore' });
    children.add(appender);

    const ingest = (watch: boolean): ChildProcess => {
      const child = spawn(
        process.execPath,
        [cli, '--data-dir', dataDir, 'metrics', 'ingest', runId, ...(watch ? ['--watch', '--interval', '5'] : [])],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.add(child);
      return child;
    };

    // The next two readers start while the current one works (so start-ups overlap, and readers
    // share the cursor for a moment); then the current one is killed at a random moment.
    let kills = 0;
    const queue = [ingest(true), ingest(true)];
    for (let i = 0; i < 50; i++) {
      const current = queue.shift()!;
      queue.push(ingest(true));
      let stderr = '';
      current.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      // Half the kills land at a random moment of the process's life (start-up and opening the
      // database included), half at a random moment after it has committed something.
      if (i % 2 === 0) await new Promise((r) => setTimeout(r, Math.random() * 300));
      else {
        await firstOutput(current);
        await new Promise((r) => setTimeout(r, Math.random() * 30));
      }
      if (current.exitCode !== null)
        throw new Error(`the ingest process exited by itself (${current.exitCode}): ${stderr}`);
      current.kill('SIGKILL');
      await exited(current);
      kills++;
    }
    for (const rest of queue) {
      rest.kill('SIGKILL');
      await exited(rest);
      kills++;
    }
    appender.kill('SIGTERM');
    await exited(appender);

    // One last reader, left to finish: everything complete in the file is in the store.
    const last = ingest(false);
    let out = '';
    last.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    last.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    await exited(last);
    expect(last.exitCode, out).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(50);

    const { db } = openDatabase(join(dataDir, 'workbench.db'));
    checkIntegrity(db, 'after the crashes');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const stored = db
      .prepare(
        'SELECT p.attempt, s.name AS series, p.step, p.value, p.archived FROM points p JOIN series s ON s.id = p.series_id',
      )
      .all() as { attempt: number; series: string; step: number; value: number | null; archived: number }[];
    const expected = expectedPoints(file);
    expect(expected.length).toBeGreaterThan(10_000);
    expect(new Set(expected.map((p) => p.attempt)).size).toBeGreaterThan(3);
    expect(stored.length).toBe(expected.length);
    const byKey = new Map(stored.map((p) => [pointKey(p), p]));
    for (const e of expected) {
      const s = byKey.get(pointKey(e));
      if (!s || s.value !== e.value || s.archived !== (e.archived ? 1 : 0)) {
        throw new Error(`point ${pointKey(e)}: stored ${JSON.stringify(s)}, expected ${JSON.stringify(e)}`);
      }
    }
    const text = readFileSync(file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const cursor = db
      .prepare('SELECT byte_offset, line_count, error_count FROM ingest_cursors WHERE run_id = ?')
      .get(runId) as {
      byte_offset: number;
      line_count: number;
      error_count: number;
    };
    expect(cursor.byte_offset).toBe(Buffer.byteLength(complete));
    expect(cursor.line_count).toBe(complete.split('\n').length - 1);
    const malformed = complete
      .split('\n')
      .filter((l) => l.startsWith('{"type": "step"') && l.endsWith('"loss": ')).length;
    expect(malformed).toBeGreaterThan(0);
    expect(cursor.error_count).toBe(malformed);
    expect(db.prepare('SELECT count(*) FROM ingest_errors').pluck().get()).toBe(malformed);
    // The level-of-detail summaries were written in the same transactions: they equal a recomputation.
    expect(db.prepare('SELECT count(*) FROM point_blocks WHERE n < n_all').pluck().get()).toBeGreaterThan(0);
    expect(summaryMismatches(db)).toEqual({ stored: [], expected: [] });
    db.close();
    expect(existsSync(file)).toBe(true);
  }, 120_000);
});

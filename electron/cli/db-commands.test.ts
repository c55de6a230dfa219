import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../services/db/database.js';
import {
  copyOfLiveDatabase,
  flipBytes,
  holdDatabase,
  release,
  rootPageOffset,
  walFrameOffset,
} from '../test-support/db-faults.js';
import { compiledCli } from '../test-support/compiled.js';
import { writeFakeRun } from '../test-support/fake-run.js';
import { moewb } from '../test-support/moewb.js';
import { tempDir } from '../test-support/paths.js';
import type { ChildProcess } from 'node:child_process';

// Issue 15, item 4: a locked or damaged database is reported with its path and the next step, never as
// "0 runs" or as a bug; `moewb db check|backup|restore` are the way out.
const stopped = () =>
  writeFakeRun({ steps: [4, 8], status: { state: 'stopped', message: 'stopped' }, exitCode: 0, state: 'stopped' });

const holders: ChildProcess[] = [];
afterEach(async () => {
  for (const h of holders.splice(0)) await release(h);
});

function expectDamagedReport(r: { code: number; out: string; err: string }, dataDir: string, wal = false): void {
  const path = join(dataDir, 'workbench.db');
  expect(r.code).toBe(1);
  expect(r.err).toContain(`error: The workbench database ${path} is damaged: `);
  if (wal) {
    expect(r.err).toContain(
      `hint: Close the workbench, then either put a backup back (\`moewb --data-dir ${dataDir} db restore\``,
    );
    expect(r.err).toContain(`(\`moewb --data-dir ${dataDir} db restore --replay-wal\`)`);
  } else expect(r.err).toContain(`hint: Close the workbench, then run \`moewb --data-dir ${dataDir} db restore\``);
  expect(r.err).not.toMatch(/Unexpected error|a bug in the workbench/);
}

describe('moewb and the database', { timeout: 60_000 }, () => {
  it('read-only commands work while another process holds the write lock; a write names the lock and the fix', async () => {
    const run = stopped();
    const W = (...argv: string[]) => moewb(run.dataDir, run.trainer, ...argv);
    expect((await W('metrics', 'ingest', run.runId)).code).toBe(0);
    const path = join(run.dataDir, 'workbench.db');
    const holder = await holdDatabase(path, true);
    holders.push(holder);

    const list = await W('runs', 'list');
    expect(list.err).toBe('');
    expect(list.code).toBe(0);
    expect(list.out).toContain(run.runId);
    const show = await W('runs', 'show', run.runId);
    expect(show.err).toBe('');
    expect(show.code).toBe(0);
    expect((await W('checkpoints', 'list', run.runId)).code).toBe(0);
    expect((await W('db', 'check')).code).toBe(0);

    const write = await W('nodes', 'add', 'gpu', '--host', 'gpu1');
    expect(write.code).toBe(1);
    expect(write.err).toContain(`error: The workbench database ${path} is locked`);
    expect(write.err).toContain(`pid ${holder.pid}`);
    expect(write.err).toMatch(/hint: Wait for that process to finish .* or close it/);
    expect(write.err).not.toMatch(/Unexpected error|a bug/);

    await release(holder);
    expect((await W('nodes', 'add', 'gpu', '--host', 'gpu1')).code).toBe(0);
  });

  it('a file that is not a database is reported with its path and db restore', async () => {
    const dir = tempDir('moewb-db-');
    writeFileSync(join(dir, 'workbench.db'), 'these are not the bytes of a database\n'.repeat(200));
    const before = readFileSync(join(dir, 'workbench.db'));
    const r = await moewb(dir, '/nonexistent', 'runs', 'list');
    expectDamagedReport(r, dir);
    expect(r.err).toContain('it is not an SQLite database');
    expect(readFileSync(join(dir, 'workbench.db')).equals(before)).toBe(true);
    expectDamagedReport(await moewb(dir, '/nonexistent', 'db', 'check'), dir);
  });

  it('a damaged page is found when the database opens, and db restore puts a backup back', async () => {
    const run = stopped();
    const W = (...argv: string[]) => moewb(run.dataDir, run.trainer, ...argv);
    const backup = await W('db', 'backup');
    expect(backup.code).toBe(0);
    const backupPath = backup.out.trim();
    expect(statSync(backupPath).mode & 0o777).toBe(0o600);
    const path = join(run.dataDir, 'workbench.db');
    flipBytes(path, rootPageOffset(path, 'runs') + 8, 16);
    const damaged = readFileSync(path);

    expectDamagedReport(await W('runs', 'list'), run.dataDir);
    const check = await W('db', 'check');
    expectDamagedReport(check, run.dataDir);
    expect(check.err).toMatch(/Tree \d+ page \d+/);

    const listing = await W('db', 'restore');
    expect(listing.code).toBe(0);
    expect(listing.out).toMatch(/^BACKUP\s+KIND\s+SCHEMA\s+SIZE\s+TAKEN$/m);
    expect(listing.out).toContain(backupPath.split('/').pop());

    // Not while another process has it open: that process would go on writing into the file set aside.
    const reader = await holdDatabase(path, false);
    holders.push(reader);
    const refused = await W('db', 'restore', backupPath.split('/').pop() as string);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`is open in pid ${reader.pid}`);
    expect(readFileSync(path).equals(damaged)).toBe(true);
    await release(reader);

    const restored = await W('db', 'restore', backupPath.split('/').pop() as string);
    expect(restored.err).toBe('');
    expect(restored.code).toBe(0);
    const aside = /the previous file is kept as (\S+)\n/.exec(restored.out)?.[1] as string;
    expect(readFileSync(aside).equals(damaged)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const list = await W('runs', 'list', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as { id: string }[]).map((r) => r.id)).toEqual([run.runId]);
    expect((await W('db', 'check')).out).toMatch(/^ok: .*\(schema version \d+, 1 runs,/);
  });

  it('a copy whose WAL has a damaged frame is refused, not shown with the runs it would drop', async () => {
    const run = stopped();
    const copyDir = tempDir('moewb-db-copy-');
    copyOfLiveDatabase(join(run.dataDir, 'workbench.db'), join(copyDir, 'workbench.db'), 3);
    const wal = join(copyDir, 'workbench.db-wal');
    flipBytes(wal, walFrameOffset(1) + 24 + 300);
    const walBefore = readFileSync(wal);

    const r = await moewb(copyDir, run.trainer, 'runs', 'list');
    expectDamagedReport(r, copyDir, true);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /workbench\.db-wal: frame 1 of \d+ is damaged .* drop the 3 committed transactions from that frame on/,
    );
    // Nothing was replayed, checkpointed or deleted: the log is there for whoever can salvage it.
    expect(readFileSync(wal).equals(walBefore)).toBe(true);
    expectDamagedReport(await moewb(copyDir, run.trainer, 'db', 'check'), copyDir, true);

    // No backup of the copy: the way out is to keep what SQLite can read, with both files set aside.
    const listing = await moewb(copyDir, run.trainer, 'db', 'restore');
    expect(listing.out).toContain(`moewb --data-dir ${copyDir} db restore --replay-wal`);
    const mainBefore = readFileSync(join(copyDir, 'workbench.db'));
    const replayed = await moewb(copyDir, run.trainer, 'db', 'restore', '--replay-wal');
    expect(replayed.err).toBe('');
    expect(replayed.code).toBe(0);
    const aside = [...replayed.out.matchAll(/the previous file is kept as (\S+)\n/g)].map((m) => m[1] as string);
    expect(aside.map((f) => readFileSync(f).equals(f.endsWith('-wal') ? walBefore : mainBefore))).toEqual([true, true]);
    const list = await moewb(copyDir, run.trainer, 'runs', 'list', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as { id: string }[]).map((x) => x.id)).toEqual([run.runId]);
    expect((await moewb(copyDir, run.trainer, 'db', 'check')).code).toBe(0);
  });

  it('a WAL whose last frame was cut short (a crash while writing) opens with every committed run', async () => {
    const run = stopped();
    const copyDir = tempDir('moewb-db-copy-');
    copyOfLiveDatabase(join(run.dataDir, 'workbench.db'), join(copyDir, 'workbench.db'), 3);
    const wal = join(copyDir, 'workbench.db-wal');
    // Frames after the last commit that do not check out: the tail of a write a crash interrupted, which
    // WAL discards by design (a whole frame with a wrong checksum, then a partial one).
    const bytes = readFileSync(wal);
    const frame = bytes.subarray(walFrameOffset(1), walFrameOffset(2));
    writeFileSync(wal, Buffer.concat([bytes, frame, frame.subarray(0, 1000)]));
    const list = await moewb(copyDir, run.trainer, 'runs', 'list', '--json');
    expect(list.err).toBe('');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as unknown[]).length).toBe(4);
  });

  it('the moewb program: runs list works beside a held write lock, and a damaged copy exits 1, not "0 runs"', async () => {
    const cli = compiledCli();
    const run = stopped();
    const moewbProcess = (dataDir: string, ...argv: string[]) =>
      spawnSync(process.execPath, [cli, '--data-dir', dataDir, '--trainer', run.trainer, ...argv], {
        encoding: 'utf8',
        env: { ...process.env, HOME: join(dataDir, 'home') },
      });
    const holder = await holdDatabase(join(run.dataDir, 'workbench.db'), true);
    holders.push(holder);
    const list = moewbProcess(run.dataDir, 'runs', 'list');
    expect([list.status, list.stderr]).toEqual([0, '']);
    expect(list.stdout).toContain(run.runId);
    await release(holder);

    const copyDir = tempDir('moewb-db-copy-');
    copyOfLiveDatabase(join(run.dataDir, 'workbench.db'), join(copyDir, 'workbench.db'), 2);
    flipBytes(join(copyDir, 'workbench.db-wal'), walFrameOffset(1) + 24 + 300);
    const damaged = moewbProcess(copyDir, 'runs', 'list');
    expect(damaged.status).toBe(1);
    expect(damaged.stdout).toBe('');
    expect(damaged.stderr).toContain(`error: The workbench database ${join(copyDir, 'workbench.db')} is damaged: `);
  });

  it('keeps the database and its backups private (mode 0600), narrowing an older file', async () => {
    const run = stopped();
    const path = join(run.dataDir, 'workbench.db');
    chmodSync(path, 0o644);
    // A pre-migration copy as an older build left it: readable by everyone.
    const oldCopy = `${path}.backup-v3-2026-01-01T00-00-00-000Z`;
    writeFileSync(oldCopy, readFileSync(path), { mode: 0o644 });
    chmodSync(oldCopy, 0o644);
    utimesSync(oldCopy, new Date('2026-01-01'), new Date('2026-01-01'));
    const r = await moewb(run.dataDir, run.trainer, 'runs', 'list');
    expect(r.code).toBe(0);
    const files = readdirSync(run.dataDir).filter((f) => f.startsWith('workbench.db'));
    expect(files).toEqual(
      expect.arrayContaining(['workbench.db', expect.stringMatching(/^workbench\.db\.backup-daily-v\d+-/)]),
    );
    for (const f of files) expect([f, statSync(join(run.dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    const { db } = openDatabase(path);
    db.prepare("INSERT INTO series (name) VALUES ('x')").run();
    for (const side of ['-wal', '-shm']) {
      expect(existsSync(path + side)).toBe(true);
      expect(statSync(path + side).mode & 0o777).toBe(0o600);
    }
    db.close();
  });
});

import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flipBytes, rootPageOffset } from '../../test-support/db-faults.js';
import { tempDir } from '../../test-support/paths.js';
import type { Handlers } from '../rpc/handlers.js';
import { dailyBackupDue, keepBackups, listBackups } from './backups.js';
import { openDatabase } from './database.js';
import { guardHandlers } from './guard.js';
import { loadMigrations } from './migrations/index.js';

function populated(): string {
  const path = join(tempDir('moewb-db-'), 'workbench.db');
  const { db } = openDatabase(path);
  const insert = db.prepare(
    "INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES (?, ?, 'local', 'stopped', '/x', ?)",
  );
  for (let i = 0; i < 20; i++) insert.run(`r-20260101-0000${String(i).padStart(2, '0')}`, `run ${i}`, i);
  db.close();
  return path;
}

const age = (path: string, days: number): void => {
  const t = Date.now() / 1000 - days * 86400;
  utimesSync(path, t, t);
};

describe('workbench database backups', () => {
  it('takes a daily backup when the newest one is older than a day, and keeps the newest seven', () => {
    const path = populated();
    expect(listBackups(path)).toEqual([]); // the first open created the file: nothing to copy
    for (let day = 0; day < keepBackups.daily + 2; day++) {
      // A day later: every copy so far moves two days back, the newest staying the newest.
      listBackups(path).forEach((b, i) => age(b.path, 2 + i));
      const { db, dailyBackup } = openDatabase(path);
      db.close();
      expect(dailyBackup).toEqual({ path: expect.stringMatching(/workbench\.db\.backup-daily-v\d+-/) as unknown });
      const copy = new Database((dailyBackup as { path: string }).path, { readonly: true });
      expect(copy.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(20);
      copy.close();
    }
    expect(listBackups(path).filter((b) => b.kind === 'daily')).toHaveLength(keepBackups.daily);
    // Reopened within the day: no new copy.
    const again = openDatabase(path);
    again.db.close();
    expect(again.dailyBackup).toBeNull();
    expect(dailyBackupDue(path)).toBe(false);
  });

  it('removes a copy a killed process left half written, and never lists it', () => {
    const path = populated();
    const leftover = `${path}.backup-daily-v4-2026-01-01T00-00-00-000Z.tmp`;
    writeFileSync(leftover, 'half');
    age(leftover, 1);
    const { db } = openDatabase(path);
    db.close();
    expect(existsSync(leftover)).toBe(false);
    expect(listBackups(path).map((b) => b.path)).not.toContain(leftover);
  });
});

describe('the check of a large database, in the background', () => {
  it('finds a damaged page after opening returned; from then on every request names the damage', async () => {
    const path = populated();
    flipBytes(path, rootPageOffset(path, 'runs') + 8, 16);
    // With a 0-byte threshold every file counts as large: opening does not wait for the check.
    const { db, background } = openDatabase(path, { syncCheckBytes: 0, dailyBackup: false });
    expect(background).not.toBeNull();
    const calls: string[] = [];
    const handlers = {
      'app:info': async () => {
        calls.push('app:info');
        return {};
      },
    } as unknown as Handlers;
    const guarded = guardHandlers(handlers, path, background);
    const outcome = await background!.done;
    expect(outcome?.findings.join('\n')).toMatch(/Tree \d+ page \d+/);
    await expect(guarded.handlers['app:info']({} as never)).rejects.toMatchObject({
      code: 'storage_failed',
      message: expect.stringContaining(`The workbench database ${path} is damaged`) as unknown,
      hint: expect.stringContaining('db restore') as unknown,
    });
    expect(calls).toEqual([]);
    guarded.close();
    db.close();
  });

  it('a whole file passes, and gets its daily backup written by the worker (mode 0600)', async () => {
    const path = populated();
    const { db, background, dailyBackup } = openDatabase(path, { syncCheckBytes: 0 });
    expect(dailyBackup).toBeNull();
    const outcome = await background!.done;
    db.close();
    expect(outcome?.findings).toEqual(['ok']);
    const written = (outcome?.backup as { path: string }).path;
    expect(statSync(written).mode & 0o777).toBe(0o600);
    const copy = new Database(written, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(20);
    copy.close();
    expect(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a short-lived process (backgroundBackup false) checks a large file but leaves its daily copy to the app', async () => {
    const path = populated();
    const { db, background, dailyBackup } = openDatabase(path, { syncCheckBytes: 0, backgroundBackup: false });
    const outcome = await background!.done;
    db.close();
    expect([dailyBackup, outcome]).toEqual([null, { findings: ['ok'], backup: null }]);
    expect(readdirSync(join(path, '..')).filter((f) => f.includes('.backup-'))).toEqual([]);
    expect(dailyBackupDue(path)).toBe(true);
  });

  it('a large file about to be migrated is checked first, and a damaged one is left unmigrated', () => {
    const path = join(tempDir('moewb-db-'), 'workbench.db');
    const all = loadMigrations();
    const old = openDatabase(path, { migrations: all.slice(0, all.length - 1) }).db;
    old
      .prepare(
        "INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES ('r-1', 'x', 'local', 'stopped', '/x', 1)",
      )
      .run();
    old.close();
    flipBytes(path, rootPageOffset(path, 'runs') + 8, 16);
    expect(() => openDatabase(path, { syncCheckBytes: 0 })).toThrow(`The workbench database ${path} is damaged`);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(all.length - 1);
    db.close();
    expect(listBackups(path)).toEqual([]);
  });
});

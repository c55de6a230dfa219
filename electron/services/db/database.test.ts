import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { checkIntegrity, openDatabase, type Db } from './database.js';
import { loadMigrations } from './migrations/index.js';

const snapshotPath = join(dirname(fileURLToPath(import.meta.url)), 'schema.snapshot.sql');
const updateCommand = 'npm run db:snapshot';

/** The schema as SQLite reports it, in a stable order: what the snapshot file holds. */
function schemaDump(db: Db): string {
  const rows = db
    .prepare(
      "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .all() as { type: string; name: string; sql: string }[];
  const version = db.pragma('user_version', { simple: true }) as number;
  return [`-- user_version ${version}`, ...rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql};`)].join('\n\n') + '\n';
}

function freshPath(): string {
  return join(tempDir('moewb-db-'), 'workbench.db');
}

describe('openDatabase', () => {
  it('brings an empty file to the head schema, which matches the committed snapshot', () => {
    const { db, fromVersion, toVersion, backupPath } = openDatabase(freshPath());
    expect([fromVersion, toVersion, backupPath]).toEqual([0, loadMigrations().length, null]);
    const dump = schemaDump(db);
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(snapshotPath, dump);
    const committed = existsSync(snapshotPath) ? readFileSync(snapshotPath, 'utf8') : '';
    if (dump !== committed) {
      throw new Error(
        `The schema differs from ${snapshotPath}. If the change is intended (a new migration), update the ` +
          `snapshot with \`${updateCommand}\` and commit it.`,
      );
    }
    checkIntegrity(db, 'fresh');
    db.close();
  });

  it('sets WAL, foreign keys and synchronous NORMAL, and has This machine as a node', () => {
    const { db } = openDatabase(freshPath());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.prepare("SELECT kind, name FROM nodes WHERE id = 'local'").get()).toEqual({
      kind: 'local',
      name: 'This machine',
    });
    db.close();
  });

  it('upgrades a database created at each older version with its data intact, copying it first', () => {
    const all = loadMigrations();
    for (let at = 1; at < all.length; at++) {
      const path = freshPath();
      const old = openDatabase(path, { migrations: all.slice(0, at) }).db;
      old
        .prepare(
          'INSERT INTO nodes (id, kind, name, host, port, username, created_at, updated_at) ' +
            "VALUES ('n-1', 'ssh', 'gpu box', 'gpu1', 2222, 'me', 1, 1)",
        )
        .run();
      old
        .prepare(
          `INSERT INTO runs (id, name, node_id, state, remote_dir, created_at, tags, notes)
         VALUES ('r-20261129-a1b2c3', 'first', 'n-1', 'stopped', '/home/me/.moe-workbench/runs/r-20261129-a1b2c3', 2, '["x"]', 'n')`,
        )
        .run();
      old.prepare("INSERT INTO attempts (run_id, attempt, exit_code) VALUES ('r-20261129-a1b2c3', 1, 0)").run();
      old
        .prepare(
          "INSERT INTO checkpoints (run_id, attempt, step, path) VALUES ('r-20261129-a1b2c3', 1, 400, 'checkpoints/step-00000400')",
        )
        .run();
      old.close();

      const { db, fromVersion, toVersion, backupPath } = openDatabase(path);
      expect([fromVersion, toVersion]).toEqual([at, all.length]);
      expect(db.prepare("SELECT name, host, port, username FROM nodes WHERE id = 'n-1'").get()).toEqual({
        name: 'gpu box',
        host: 'gpu1',
        port: 2222,
        username: 'me',
      });
      expect(db.prepare('SELECT id, name, state, tags, notes FROM runs').all()).toEqual([
        { id: 'r-20261129-a1b2c3', name: 'first', state: 'stopped', tags: '["x"]', notes: 'n' },
      ]);
      expect(db.prepare('SELECT step, path FROM checkpoints').all()).toEqual([
        { step: 400, path: 'checkpoints/step-00000400' },
      ]);
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
        all.map((m) => m.version),
      );
      checkIntegrity(db, path);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      db.close();

      // The copy taken before migrating is the old database, whole.
      expect(backupPath).not.toBeNull();
      const copy = new Database(backupPath!, { readonly: true });
      expect(copy.pragma('user_version', { simple: true })).toBe(at);
      expect(copy.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(1);
      copy.close();
    }
  });

  it('refuses a database with a migration this build does not know, and leaves it untouched', () => {
    const path = freshPath();
    const all = loadMigrations();
    const { db } = openDatabase(path);
    const future = all.length + 1;
    db.prepare(
      "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, '0099_from_the_future', 'x', 0)",
    ).run(future);
    db.pragma(`user_version = ${future}`);
    db.close();
    expect(() => openDatabase(path)).toThrow(/does not know.*\n?|newer/);
    try {
      openDatabase(path);
    } catch (err) {
      expect((err as Error).message).toContain('0099_from_the_future');
      expect((err as { hint?: string }).hint).toMatch(/newer workbench|--data-dir/);
    }
    const again = new Database(path, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(future);
    again.close();
  });

  it('rolls back a migration that fails midway, leaving the version unchanged', () => {
    const path = freshPath();
    openDatabase(path).db.close();
    const all = loadMigrations();
    const broken = {
      version: all.length + 1,
      name: `${String(all.length + 1).padStart(4, '0')}_broken`,
      sql: 'CREATE TABLE half (a); SELECT * FROM no_such_table;',
    };
    expect(() => openDatabase(path, { migrations: [...all, broken] })).toThrow(/broken.*rolled back/);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(all.length);
    db.close();
    // The pre-migration copy was taken.
    expect(readdirSync(dirname(path)).some((f) => f.startsWith('workbench.db.backup-v'))).toBe(true);
  });
});

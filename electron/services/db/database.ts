import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ServiceError } from '../errors.js';
import { loadMigrations, type Migration } from './migrations/index.js';

/** An open workbench database. */
export type Db = Database.Database;

/** Options of openDatabase. */
export interface OpenDatabaseOptions {
  /** The migrations to bring the file up to; defaults to every migration this build knows. */
  migrations?: Migration[];
  /** How many pre-migration copies to keep next to the database (default 3). */
  keepBackups?: number;
}

/** What openDatabase did to the file. */
export interface OpenedDatabase {
  db: Db;
  /** Schema version before and after opening. */
  fromVersion: number;
  toVersion: number;
  /** The copy taken before migrating, when there was anything to migrate in an existing file. */
  backupPath: string | null;
}

const bookkeeping = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  applied_at REAL NOT NULL
)`;

/**
 * Opens (creating when missing) the workbench database at `path`: WAL, foreign keys on, synchronous
 * NORMAL, then applies the pending migrations, each in its own transaction together with its
 * bookkeeping row and `PRAGMA user_version`. An existing file is copied (VACUUM INTO) before the first
 * pending migration. A database with migrations this build does not know is refused, untouched.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const migrations = options.migrations ?? loadMigrations();
  mkdirSync(dirname(path), { recursive: true });
  const uncleanExit = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
  let db: Db;
  try {
    db = new Database(path, { timeout: 5000 });
  } catch (err) {
    throw new ServiceError(
      'storage_failed',
      `Cannot open the workbench database ${path}: ${(err as Error).message}`,
      'Check that the data directory is writable and on a local disk (--data-dir or MOE_WORKBENCH_DATA).',
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    if (uncleanExit) checkIntegrity(db, path, 'quick_check');
    const result = migrate(db, path, migrations, options.keepBackups ?? 3);
    return { db, ...result };
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Db, path: string, migrations: Migration[], keepBackups: number): Omit<OpenedDatabase, 'db'> {
  const fromVersion = db.pragma('user_version', { simple: true }) as number;
  const known = migrations.length;
  const hasBookkeeping =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const applied = hasBookkeeping
    ? (db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
        version: number;
        name: string;
      }[])
    : [];
  const unknown = applied.filter((row) => migrations[row.version - 1]?.name !== row.name);
  if (fromVersion > known || unknown.length > 0) {
    const names = unknown.map((r) => `${String(r.version).padStart(4, '0')} (${r.name})`).join(', ');
    throw new ServiceError(
      'storage_failed',
      `The database ${path} has schema version ${fromVersion}${names ? ` and migrations ${names}` : ''} that this ` +
        `build of MoE Workbench does not know (it knows up to ${known}). It was written by a newer or different build.`,
      'Open it with that newer workbench, or point this one at another data directory (--data-dir or ' +
        'MOE_WORKBENCH_DATA); the runs on your nodes are not affected.',
    );
  }
  const pending = migrations.filter((m) => m.version > fromVersion);
  if (pending.length === 0) return { fromVersion, toVersion: fromVersion, backupPath: null };

  let backupPath: string | null = null;
  if (fromVersion > 0) {
    backupPath = `${path}.backup-v${fromVersion}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    db.prepare('VACUUM INTO ?').run(backupPath);
    pruneBackups(path, keepBackups);
  }
  db.exec(bookkeeping);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)');
  for (const m of pending) {
    const apply = db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, createHash('sha256').update(m.sql).digest('hex'), Date.now() / 1000);
      // Inside the transaction: a failure rolls the version back with the schema.
      db.pragma(`user_version = ${m.version}`);
      const violations = db.pragma('foreign_key_check') as unknown[];
      if (violations.length > 0) throw new Error(`${violations.length} foreign key violations after ${m.name}`);
    });
    try {
      apply.immediate();
    } catch (err) {
      throw new ServiceError(
        'storage_failed',
        `Migration ${m.name} of ${path} failed and was rolled back (schema stays at version ${m.version - 1}): ${(err as Error).message}`,
        backupPath
          ? `The copy taken before migrating is ${backupPath}.`
          : 'Move the file away to start with an empty database.',
      );
    }
  }
  return { fromVersion, toVersion: migrations.length, backupPath };
}

/** Throws when SQLite's own check of the file fails. */
export function checkIntegrity(
  db: Db,
  path: string,
  pragma: 'quick_check' | 'integrity_check' = 'integrity_check',
): void {
  const rows = db.pragma(pragma) as Record<string, string>[];
  const messages = rows.map((r) => Object.values(r)[0]);
  if (messages.length !== 1 || messages[0] !== 'ok') {
    throw new ServiceError(
      'storage_failed',
      `The workbench database ${path} is damaged: ${messages.slice(0, 3).join('; ')}`,
      'Restore the newest copy next to it (workbench.db.backup-*) or move the file away to start fresh.',
    );
  }
}

function pruneBackups(path: string, keep: number): void {
  const prefix = `${basename(path)}.backup-`;
  const copies = readdirSync(dirname(path))
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(dirname(path), name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of copies.slice(keep)) unlinkSync(old);
}

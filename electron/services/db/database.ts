import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServiceError } from '../errors.js';
import { startBackgroundCheck, type BackgroundCheck } from './background-check.js';
import { dailyBackupDue, listBackups, startBackup, takeBackup, type PendingBackup } from './backups.js';
import { damagedError, explainDatabaseError, filesDamagedError } from './db-errors.js';
import { inspectDatabaseFiles } from './db-files.js';
import { loadMigrations, type Migration } from './migrations/index.js';

/** An open workbench database. */
export type Db = Database.Database;

/** Options of openDatabase. */
export interface OpenDatabaseOptions {
  /** The migrations to bring the file up to; defaults to every migration this build knows. */
  migrations?: Migration[];
  /** Take the daily backup when none is younger than a day (default true). */
  dailyBackup?: boolean;
  /**
   * Take the daily backup of a large file on the worker thread (default true). A short-lived process (a
   * `moewb` command) passes false: it would end before the copy, every time, leaving partial copies.
   */
  backgroundBackup?: boolean;
  /** 0 turns off the automatic copies (pre-migration and daily), e.g. for benchmarks' throwaway files. */
  keepBackups?: number;
  /** Files up to this size are checked (`quick_check`) before opening returns; larger ones in the background. */
  syncCheckBytes?: number;
}

/** What openDatabase did to the file. */
export interface OpenedDatabase {
  db: Db;
  /** Schema version before and after opening. */
  fromVersion: number;
  toVersion: number;
  /** The copy taken before migrating, when there was anything to migrate in an existing file. */
  backupPath: string | null;
  /** The daily backup taken while opening, or why it failed (the database itself is fine). */
  dailyBackup: { path: string } | { error: string } | null;
  /** The check (and daily backup) of a large file, still running on a worker thread; null when done already. */
  background: BackgroundCheck | null;
}

/** Files up to this size get `quick_check` while opening (about 5 ms per MB); larger ones in the background. */
export const defaultSyncCheckBytes = 32 * 1024 * 1024;

const bookkeeping = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  applied_at REAL NOT NULL
)`;

/**
 * Opens (creating when missing, mode 0600) the workbench database at `path`: refuses a file that is not a
 * database or whose write-ahead log has a damaged frame before valid commits (which SQLite would drop
 * silently), runs `quick_check` (on a worker thread for a large file), sets WAL, foreign keys on and
 * synchronous NORMAL, then applies the pending migrations, each in its own transaction together with its
 * bookkeeping row and `PRAGMA user_version`. An existing file is copied (VACUUM INTO) before the first
 * pending migration, and daily. A database with migrations this build does not know is refused, untouched.
 * Opening writes nothing to a database that is up to date, so it works while another process holds the
 * write lock. Every SQLite failure comes out as an error that names the file and the next step.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const migrations = options.migrations ?? loadMigrations();
  let created: boolean;
  try {
    mkdirSync(dirname(path), { recursive: true });
    created = ensurePrivateFile(path);
  } catch (err) {
    throw new ServiceError(
      'storage_failed',
      `Cannot create or open the workbench database ${path}: ${(err as Error).message}`,
      'Check that you own the data directory and that it is writable (--data-dir or MOE_WORKBENCH_DATA picks another).',
    );
  }
  const problems = inspectDatabaseFiles(path);
  if (problems.length > 0) {
    throw filesDamagedError(path, problems);
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: 5000 });
  } catch (err) {
    const explained = explainDatabaseError(err, path);
    if (explained !== err) throw explained;
    throw new ServiceError(
      'storage_failed',
      `Cannot open the workbench database ${path}: ${(err as Error).message}`,
      'Check that the data directory is writable and on a local disk (--data-dir or MOE_WORKBENCH_DATA).',
    );
  }
  let background: BackgroundCheck | null = null;
  try {
    // A file about to be migrated is checked first whatever its size: a migration rewrites tables.
    const migrating = (db.pragma('user_version', { simple: true }) as number) < migrations.length;
    const large = !created && !migrating && statSync(path).size > (options.syncCheckBytes ?? defaultSyncCheckBytes);
    if (!created && !large) checkIntegrity(db, path, 'quick_check');
    // Only a database not yet in WAL mode is written to here (the first open of a new file).
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    const backups = options.keepBackups !== 0;
    const result = migrate(db, path, migrations, backups);
    let dailyBackup: OpenedDatabase['dailyBackup'] = null;
    const daily = !created && backups && (options.dailyBackup ?? true);
    if (daily && (!large || (options.backgroundBackup ?? true)) && dailyBackupDue(path)) {
      if (large) {
        let pending: PendingBackup | null = null;
        try {
          pending = startBackup(path, 'daily', db.pragma('user_version', { simple: true }) as number);
        } catch (err) {
          dailyBackup = { error: `the daily backup of ${path} could not start: ${(err as Error).message}` };
        }
        background = startBackgroundCheck(path, pending);
      } else {
        try {
          dailyBackup = { path: takeBackup(db, path, 'daily') };
        } catch (err) {
          dailyBackup = { error: `the daily backup of ${path} failed: ${(err as Error).message}` };
        }
      }
    } else if (large) {
      background = startBackgroundCheck(path, null);
    }
    return { db, ...result, dailyBackup, background };
  } catch (err) {
    background?.stop();
    db.close();
    throw explainDatabaseError(err, path);
  }
}

/** Creates a missing database file with mode 0600 and narrows an existing one to it; true when created. */
function ensurePrivateFile(path: string): boolean {
  if (!existsSync(path)) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return false; // another process created it meanwhile
    }
  }
  // Files an older build left readable by others (the database, its WAL and index, backups) are narrowed;
  // another user's file stays as it is (chmod would fail).
  const own = [path, `${path}-wal`, `${path}-shm`, ...listBackups(path).map((b) => b.path)];
  for (const file of own) {
    if (!existsSync(file)) continue;
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(file, 0o600);
  }
  return false;
}

function migrate(
  db: Db,
  path: string,
  migrations: Migration[],
  backups: boolean,
): Pick<OpenedDatabase, 'fromVersion' | 'toVersion' | 'backupPath'> {
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
  if (fromVersion > 0 && backups) {
    backupPath = takeBackup(db, path, 'migration');
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
    throw damagedError(path, messages.slice(0, 3).join('; '));
  }
}

import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { ServiceError } from '../errors.js';
import { checkFile, listBackups, takeBackup, type BackupFile } from './backups.js';
import { damagedError, explainDatabaseError, filesDamagedError } from './db-errors.js';
import { inspectDatabaseFiles } from './db-files.js';
import { loadMigrations } from './migrations/index.js';

/** What `db check` found: the findings (`['ok']` when whole) and a few facts about a whole file. */
export interface CheckReport {
  path: string;
  ok: boolean;
  findings: string[];
  schemaVersion: number | null;
  runs: number | null;
  bytes: number;
  backups: BackupFile[];
}

/**
 * The full check `moewb db check` runs on a file that may be damaged (it is never opened for writing):
 * the header and WAL checks, SQLite's integrity and foreign-key checks, and the schema version.
 */
export function checkDatabase(path: string): CheckReport {
  const base = { path, bytes: statSync(path).size, backups: listBackups(path) };
  const problems = inspectDatabaseFiles(path);
  if (problems.length > 0) {
    const findings = problems.map((p) => `${p.file}: ${p.message}`);
    return { ...base, ok: false, findings, schemaVersion: null, runs: null };
  }
  let findings: string[];
  try {
    findings = checkFile(path);
  } catch (err) {
    findings = [(err as Error).message];
  }
  if (findings[0] !== 'ok') return { ...base, ok: false, findings, schemaVersion: null, runs: null };
  const db = new Database(path, { readonly: true });
  try {
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const known = loadMigrations().length;
    if (schemaVersion > known) {
      findings = [
        `schema version ${schemaVersion} is newer than this build knows (${known}): open it with a newer workbench`,
      ];
    }
    const hasRuns =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined;
    const runs = hasRuns ? (db.prepare('SELECT count(*) FROM runs').pluck().get() as number) : 0;
    return { ...base, ok: findings[0] === 'ok', findings, schemaVersion, runs };
  } finally {
    db.close();
  }
}

/** The error for a report that is not ok: damage (with the way out), or a schema this build does not know. */
export function reportError(r: CheckReport): ServiceError {
  if (r.findings[0]?.startsWith('schema version'))
    return new ServiceError('storage_failed', `${r.path}: ${r.findings[0]}.`);
  const walOnly = r.findings.every((f) => f.startsWith(`${r.path}-wal: `));
  return damagedError(r.path, r.findings.slice(0, 5).join('; '), walOnly);
}

/** Copies the database now (`moewb db backup`), after checking it; works beside a running workbench. */
export function backupNow(path: string): string {
  if (!existsSync(path)) {
    throw new ServiceError('not_found', `There is no workbench database at ${path}.`, 'Check --data-dir.');
  }
  const problems = inspectDatabaseFiles(path);
  if (problems.length > 0) throw filesDamagedError(path, problems);
  let handle: Database.Database | null = null;
  try {
    handle = new Database(path, { readonly: true, timeout: 5000 });
    const rows = handle.pragma('quick_check') as Record<string, string>[];
    const findings = rows.map((r) => String(Object.values(r)[0]));
    if (findings.length !== 1 || findings[0] !== 'ok') throw damagedError(path, findings.slice(0, 3).join('; '));
    return takeBackup(handle, path, 'manual');
  } catch (err) {
    throw explainDatabaseError(err, path);
  } finally {
    handle?.close();
  }
}

import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Why a backup was taken: before a migration, the daily one, or by `moewb db backup`. */
export type BackupKind = 'migration' | 'daily' | 'manual';

/** How many copies of each kind are kept; manual ones are the user's to delete. */
export const keepBackups: Record<BackupKind, number> = { migration: 3, daily: 7, manual: Infinity };

/** A daily backup is taken when the newest backup of any kind is older than this. */
export const dailyBackupAgeMs = 24 * 3600 * 1000;

/** One backup copy next to the database. */
export interface BackupFile {
  path: string;
  kind: BackupKind;
  /** The schema version it was taken at. */
  version: number;
  bytes: number;
  /** When it was taken (its modification time), ms since the epoch. */
  takenAt: number;
}

const infix: Record<BackupKind, string> = { migration: '', daily: 'daily-', manual: 'manual-' };
const backupName = /\.backup-(daily-|manual-)?v(\d+)-[0-9TZ-]+$/;

/** A time for file names: ISO 8601 without `:` and `.`. */
export const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');

/** fsync of a file or a directory. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The backups of the database at `path`, newest first. */
export function listBackups(path: string): BackupFile[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.backup-`;
  if (!existsSync(dir)) return [];
  const out: BackupFile[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const m = backupName.exec(name);
    if (!m) continue;
    const full = join(dir, name);
    const st = statSync(full);
    const kind: BackupKind = m[1] === 'daily-' ? 'daily' : m[1] === 'manual-' ? 'manual' : 'migration';
    out.push({ path: full, kind, version: Number(m[2]), bytes: st.size, takenAt: st.mtimeMs });
  }
  return out.sort((a, b) => b.takenAt - a.takenAt || b.path.localeCompare(a.path));
}

/** A backup being written: the empty temporary file (mode 0600) `VACUUM INTO` fills, and its final name. */
export interface PendingBackup {
  kind: BackupKind;
  tmp: string;
  target: string;
}

/** Creates the empty file a backup of schema `version` is written into, so the copy is never readable by others. */
export function startBackup(path: string, kind: BackupKind, version: number): PendingBackup {
  const target = `${path}.backup-${infix[kind]}v${version}-${stamp()}`;
  removeStaleTemporaries(path);
  const tmp = `${target}.tmp`;
  closeSync(openSync(tmp, 'wx', 0o600));
  return { kind, tmp, target };
}

/** Makes a written backup durable under its final name, then drops the oldest copies of its kind. */
export function finishBackup(path: string, pending: PendingBackup): string {
  fsyncPath(pending.tmp);
  renameSync(pending.tmp, pending.target);
  fsyncPath(dirname(path));
  const sameKind = listBackups(path).filter((b) => b.kind === pending.kind);
  for (const old of sameKind.slice(keepBackups[pending.kind])) unlinkSync(old.path);
  return pending.target;
}

/** Removes the temporary file of a backup that failed. */
export function abandonBackup(pending: PendingBackup): void {
  if (existsSync(pending.tmp)) unlinkSync(pending.tmp);
}

/**
 * Copies the open database `db` (file `path`) with `VACUUM INTO`: a consistent snapshot, taken while others
 * keep reading and writing. A copy cut short (a killed process) stays a `.tmp` file, removed later.
 */
export function takeBackup(db: Database.Database, path: string, kind: BackupKind): string {
  const pending = startBackup(path, kind, db.pragma('user_version', { simple: true }) as number);
  try {
    db.prepare('VACUUM INTO ?').run(pending.tmp);
    return finishBackup(path, pending);
  } catch (err) {
    abandonBackup(pending);
    throw err;
  }
}

function removeStaleTemporaries(path: string): void {
  const prefix = `${basename(path)}.backup-`;
  for (const name of readdirSync(dirname(path))) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const full = join(dirname(path), name);
    // Another process may be writing one right now: only copies untouched for an hour are leftovers.
    if (Date.now() - statSync(full).mtimeMs > 3600_000) unlinkSync(full);
  }
}

/** True when no backup of the database is younger than a day. */
export function dailyBackupDue(path: string, now = Date.now()): boolean {
  const newest = listBackups(path)[0];
  return newest === undefined || now - newest.takenAt > dailyBackupAgeMs;
}

/** Runs SQLite's full check on a file opened read-only; returns its findings ("ok" when whole). */
export function checkFile(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as Record<string, string>[];
    const found = rows.map((r) => String(Object.values(r)[0]));
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) found.push(`${fk.length} rows refer to rows that do not exist (foreign_key_check)`);
    return found.length === 1 && found[0] === 'ok' ? ['ok'] : found.filter((m) => m !== 'ok');
  } finally {
    db.close();
  }
}

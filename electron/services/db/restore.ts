import Database from 'better-sqlite3';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServiceError } from '../errors.js';
import { checkFile, fsyncPath, stamp } from './backups.js';
import { processesHolding } from './db-errors.js';

/** What a restore did. */
export interface RestoreResult {
  /** The file now in place came from here. */
  restored: string;
  /** The files that were in place before, renamed (never deleted). */
  setAside: string[];
}

function refuseWhileOpen(path: string): void {
  const holders = processesHolding(path);
  if (holders.length > 0) {
    throw new ServiceError(
      'conflict',
      `The workbench database ${path} is open in ${holders.join('; ')}. Nothing was changed.`,
      'Close every workbench window and `moewb` command that uses this data directory, then restore again.',
    );
  }
}

/**
 * Renames the database and a non-empty WAL to `<db>.replaced-<time>` (a pair SQLite can still open),
 * then moves `ready` (a complete file, mode 0600) into its place.
 */
function replaceWith(path: string, ready: string): string[] {
  const setAside: string[] = [];
  const aside = `${path}.replaced-${stamp()}`;
  if (existsSync(path)) {
    renameSync(path, aside);
    setAside.push(aside);
  }
  if (existsSync(`${path}-wal`)) {
    if (statSync(`${path}-wal`).size === 0) unlinkSync(`${path}-wal`);
    else {
      renameSync(`${path}-wal`, `${aside}-wal`);
      setAside.push(`${aside}-wal`);
    }
  }
  // The shared-memory index holds nothing of its own: SQLite rebuilds it from the WAL.
  if (existsSync(`${path}-shm`)) unlinkSync(`${path}-shm`);
  renameSync(ready, path);
  fsyncPath(dirname(path));
  return setAside;
}

/** A private copy of `source` at `target` (mode 0600 whatever the source's), synced. */
function privateCopy(source: string, target: string): void {
  if (existsSync(target)) unlinkSync(target);
  closeSync(openSync(target, 'wx', 0o600));
  copyFileSync(source, target);
  chmodSync(target, 0o600); // copyFileSync gives the copy the source's mode
  fsyncPath(target);
}

/**
 * Puts the backup `backup` in place of the database at `path`: checks the copy whole, refuses while another
 * process has the database open, sets the current file aside (replaceWith), and copies the backup in
 * through a temporary file and a rename.
 */
export function restoreBackup(path: string, backup: string): RestoreResult {
  if (!existsSync(backup)) {
    throw new ServiceError(
      'not_found',
      `There is no backup ${backup}.`,
      `\`moewb --data-dir ${dirname(path)} db restore\` lists the backups there are.`,
    );
  }
  let findings: string[];
  try {
    findings = checkFile(backup);
  } catch (err) {
    findings = [(err as Error).message];
  }
  if (findings[0] !== 'ok') {
    throw new ServiceError(
      'storage_failed',
      `The backup ${backup} is damaged too: ${findings.slice(0, 3).join('; ')}. Nothing was changed.`,
      'Choose an older backup from the list.',
    );
  }
  refuseWhileOpen(path);
  const tmp = `${path}.restoring`;
  privateCopy(backup, tmp);
  return { restored: backup, setAside: replaceWith(path, tmp) };
}

/**
 * Keeps the database as SQLite itself reads it: the main file plus its WAL up to the first damaged frame
 * (what a power loss mid-write leaves is exactly this). Works on copies: the copy is replayed and
 * checkpointed, checked whole, and only then put in place; the original pair is set aside untouched.
 */
export function replayWal(path: string): RestoreResult {
  if (!existsSync(path)) {
    throw new ServiceError('not_found', `There is no workbench database at ${path}.`, 'Check --data-dir.');
  }
  refuseWhileOpen(path);
  const tmp = `${path}.replaying`;
  for (const side of ['', '-wal', '-shm']) if (existsSync(tmp + side)) unlinkSync(tmp + side);
  privateCopy(path, tmp);
  if (existsSync(`${path}-wal`)) privateCopy(`${path}-wal`, `${tmp}-wal`);
  try {
    const db = new Database(tmp);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    for (const side of ['-wal', '-shm']) if (existsSync(tmp + side)) unlinkSync(tmp + side);
    const findings = checkFile(tmp);
    if (findings[0] !== 'ok') throw new Error(findings.slice(0, 3).join('; '));
  } catch (err) {
    for (const side of ['', '-wal', '-shm']) if (existsSync(tmp + side)) unlinkSync(tmp + side);
    throw new ServiceError(
      'storage_failed',
      `${path} is damaged beyond its write-ahead log (${(err as Error).message}). Nothing was changed.`,
      `Restore a backup (\`moewb --data-dir ${dirname(path)} db restore\` lists them).`,
    );
  }
  return { restored: `${path} (with its WAL up to the damaged frame)`, setAside: replaceWith(path, tmp) };
}

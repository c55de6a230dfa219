import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServiceError } from '../errors.js';

/** The `moewb` command that restores a backup of the database at `path`. */
export const restoreCommand = (path: string): string => `moewb --data-dir ${dirname(path)} db restore`;

/** The hint every report of a damaged database ends with. */
export function damagedHint(path: string): string {
  return (
    `Close the workbench, then run \`${restoreCommand(path)}\`: it lists the backups and puts the one you ` +
    'choose in place, setting the damaged file aside (nothing is deleted). Runs on your nodes are not ' +
    'affected; `moewb metrics ingest <run>` reads what a backup misses.'
  );
}

/**
 * The error for a database that SQLite or our own checks found damaged; `wal` when the damage is in its
 * write-ahead log, which can also be kept up to the damaged frame.
 */
export function damagedError(path: string, what: string, wal = false): ServiceError {
  const hint = wal
    ? `Close the workbench, then either put a backup back (\`${restoreCommand(path)}\` lists them) or keep the ` +
      `database up to the damaged frame, losing the commits after it (\`${restoreCommand(path)} --replay-wal\`). ` +
      'Either way the damaged files are set aside, not deleted.'
    : damagedHint(path);
  return new ServiceError('storage_failed', `The workbench database ${path} is damaged: ${what}.`, hint);
}

/** The error for the problems inspectDatabaseFiles found. */
export function filesDamagedError(path: string, problems: { file: string; message: string }[]): ServiceError {
  const what = problems.map((p) => `${p.file}: ${p.message}`).join('; ');
  return damagedError(
    path,
    what,
    problems.every((p) => p.file.endsWith('-wal')),
  );
}

/**
 * Other processes that have the database open (Linux: their open file descriptors), as
 * "pid 123 (node moewb ...)"; empty where that cannot be seen.
 */
export function processesHolding(path: string): string[] {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return [];
  }
  const holders: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    const holds = fds.some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
    } catch {
      // ended meanwhile
    }
    holders.push(`pid ${pid}${cmd ? ` (${cmd})` : ''}`);
  }
  return holders;
}

/**
 * Turns an SQLite failure on the database at `path` into an error that names the file and the next step;
 * anything else (or an error already explained) comes back unchanged.
 */
export function explainDatabaseError(err: unknown, path: string): unknown {
  if (err instanceof ServiceError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const detail = (err as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    const holders = processesHolding(path);
    return new ServiceError(
      'unavailable',
      `The workbench database ${path} is locked: another process kept it locked for more than 5 seconds` +
        `${holders.length > 0 ? `. It is open in ${holders.join('; ')}` : ''}. Nothing was changed.`,
      'Wait for that process to finish (an import, a long ingest) or close it (another workbench window, a ' +
        '`moewb ... --watch`), then run the command again.',
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return damagedError(path, detail);
  if (code.startsWith('SQLITE_FULL')) {
    return new ServiceError(
      'storage_failed',
      `The disk holding the workbench database ${path} is full (${detail}); the change was rolled back.`,
      'Free some space on that disk, then run the command again: reading resumes from the stored positions.',
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return new ServiceError(
      'storage_failed',
      `The workbench database ${path} cannot be written (${detail}).`,
      'Check that you own the data directory and its files and that the disk is mounted read-write ' +
        '(--data-dir or MOE_WORKBENCH_DATA picks another one).',
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new ServiceError(
      'storage_failed',
      `Reading or writing the workbench database ${path} failed (${code}: ${detail}).`,
      `Check the disk (space, mount, errors in the system log); then \`moewb --data-dir ${dirname(path)} db check\`.`,
    );
  }
  return err;
}

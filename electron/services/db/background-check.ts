import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { abandonBackup, finishBackup, type PendingBackup } from './backups.js';

/** What the background pass over a large database found. */
export interface BackgroundOutcome {
  /** `PRAGMA quick_check` findings: `['ok']` when whole. */
  findings: string[];
  /** The daily backup it wrote, or why it could not. */
  backup: { path: string } | { error: string } | null;
}

/** A background pass that can be stopped (the process is closing); `done` then resolves with null. */
export interface BackgroundCheck {
  done: Promise<BackgroundOutcome | null>;
  /**
   * Asks the worker to end, without waiting: a thread inside SQLite ends only when the statement returns.
   * An unfinished backup stays a `.tmp` file, removed by a later backup.
   */
  stop(): void;
}

// Plain CommonJS run by the worker: a read-only connection of its own, so the owning thread never waits.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: 5000 });
try {
  const rows = db.pragma('quick_check');
  const findings = rows.map((r) => String(Object.values(r)[0]));
  parentPort.postMessage({ findings });
  if (workerData.backupTmp && findings.length === 1 && findings[0] === 'ok') {
    try {
      db.prepare('VACUUM INTO ?').run(workerData.backupTmp);
      parentPort.postMessage({ backupWritten: true });
    } catch (err) {
      parentPort.postMessage({ backupError: String(err && err.message || err) });
    }
  }
} catch (err) {
  parentPort.postMessage({ findings: [String(err && err.message || err)], code: err && err.code });
} finally {
  db.close();
}
`;

/**
 * Runs `quick_check` over the database at `path` on a worker thread, then, when the file is whole and
 * `backup` is given, writes that backup with VACUUM INTO. The worker does not keep the process alive.
 */
export function startBackgroundCheck(path: string, backup: PendingBackup | null): BackgroundCheck {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { sqlite, path, backupTmp: backup?.tmp ?? null },
  });
  worker.unref();
  let stopped = false;
  const done = new Promise<BackgroundOutcome | null>((resolve) => {
    const outcome: BackgroundOutcome = { findings: [], backup: null };
    worker.on('message', (m: { findings?: string[]; backupWritten?: boolean; backupError?: string }) => {
      if (m.findings) outcome.findings = m.findings;
      if (m.backupWritten && backup) {
        try {
          outcome.backup = { path: finishBackup(path, backup) };
        } catch (err) {
          outcome.backup = { error: (err as Error).message };
        }
      }
      if (m.backupError) outcome.backup = { error: m.backupError };
    });
    worker.on('error', (err) => {
      if (outcome.findings.length === 0) outcome.findings = [`the check could not run: ${err.message}`];
    });
    worker.on('exit', () => {
      if (backup && (outcome.backup === null || 'error' in outcome.backup)) abandonBackup(backup);
      resolve(stopped && outcome.findings.length === 0 ? null : outcome);
    });
  });
  return {
    done,
    stop: () => {
      stopped = true;
      void worker.terminate();
    },
  };
}

import { posix } from 'node:path';
import type { CheckpointInfo } from '../../contract/checkpoints.js';
import type { CheckpointRecord } from '../../contract/runs.js';
import type { Db } from '../db/database.js';
import { ServiceError } from '../errors.js';

interface CheckpointRow {
  id: number;
  run_id: string;
  attempt: number;
  step: number;
  tokens: number | null;
  bytes: number | null;
  path: string;
  loss: number | null;
  val_loss: number | null;
  reason: string | null;
  status: CheckpointRecord['status'];
  kept: string;
  verified_at: number | null;
  verify_message: string | null;
  downloaded_path: string | null;
  remote_dir: string;
  newest_id: number | null;
}

const select = `SELECT c.*, r.remote_dir,
  (SELECT n.id FROM checkpoints n WHERE n.run_id = c.run_id AND n.status = 'complete'
     ORDER BY n.step DESC, n.attempt DESC LIMIT 1) AS newest_id
  FROM checkpoints c JOIN runs r ON r.id = c.run_id`;

function parseKept(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function toInfo(row: CheckpointRow): CheckpointInfo {
  return {
    id: row.id,
    runId: row.run_id,
    attempt: row.attempt,
    step: row.step,
    tokens: row.tokens,
    bytes: row.bytes,
    path: row.path,
    remotePath: posix.isAbsolute(row.path) ? row.path : posix.join(row.remote_dir, row.path),
    loss: row.loss,
    valLoss: row.val_loss,
    reason: row.reason,
    status: row.status,
    keptReasons: parseKept(row.kept),
    newest: row.newest_id === row.id,
    downloadedPath: row.downloaded_path,
    verifiedAt: row.verified_at,
    verifyMessage: row.verify_message,
  };
}

/** The checkpoint ledger (filled by the metrics ingester from `checkpoint` records). */
export class CheckpointStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare(`${select} WHERE c.id = ?`),
      list: db.prepare(`${select} WHERE c.run_id = ? ORDER BY c.step, c.attempt`),
      status: db.prepare('UPDATE checkpoints SET status = ? WHERE id = ?'),
      verified: db.prepare('UPDATE checkpoints SET verified_at = ?, verify_message = ? WHERE id = ?'),
      downloaded: db.prepare('UPDATE checkpoints SET downloaded_path = ? WHERE id = ?'),
    };
  }

  /** One checkpoint, or not_found. */
  get(id: number): CheckpointInfo {
    const row = this.stmts.get.get(id) as CheckpointRow | undefined;
    if (!row)
      throw new ServiceError(
        'not_found',
        `There is no checkpoint ${id}.`,
        'List the checkpoints of the run (`moewb checkpoints list RUN`).',
      );
    return toInfo(row);
  }

  /** A run's checkpoints, oldest first. */
  list(runId: string, includeDeleted = true): CheckpointInfo[] {
    const all = (this.stmts.list.all(runId) as CheckpointRow[]).map(toInfo);
    return includeDeleted ? all : all.filter((c) => c.status !== 'deleted');
  }

  /** The newest complete checkpoint of a run, if any. */
  newest(runId: string): CheckpointInfo | null {
    return this.list(runId).find((c) => c.newest) ?? null;
  }

  /** Sets complete / deleted / corrupt. */
  setStatus(id: number, status: CheckpointRecord['status']): CheckpointInfo {
    this.stmts.status.run(status, id);
    return this.get(id);
  }

  /** Records a verification's time and finding. */
  setVerified(id: number, at: number, message: string): void {
    this.stmts.verified.run(at, message, id);
  }

  /** Records (or clears) the verified local copy. */
  setDownloaded(id: number, path: string | null): CheckpointInfo {
    this.stmts.downloaded.run(path, id);
    return this.get(id);
  }
}

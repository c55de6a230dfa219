import { trainerVersionSchema } from '../../contract/app.js';
import type { Deployment } from '../../contract/deploy.js';
import type { GpuInfo } from '../../contract/nodes.js';
import type { Db } from '../db/database.js';

interface DeploymentRow {
  id: number;
  node_id: string;
  trainer_hash: string;
  remote_dir: string;
  status: Deployment['status'];
  uploaded: number;
  built: number;
  started_at: number;
  finished_at: number | null;
  build_log_tail: string | null;
  error_message: string | null;
  error_hint: string | null;
  facts: string | null;
}

function toDeployment(r: DeploymentRow): Deployment {
  const raw = r.facts ? (JSON.parse(r.facts) as { gpus?: GpuInfo[] }) : null;
  const facts = raw ? trainerVersionSchema.safeParse(raw) : null;
  return {
    id: r.id,
    nodeId: r.node_id,
    trainerHash: r.trainer_hash,
    remoteDir: r.remote_dir,
    status: r.status,
    uploaded: r.uploaded === 1,
    built: r.built === 1,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    buildLogTail: r.build_log_tail,
    error: r.error_message ? { message: r.error_message, hint: r.error_hint } : null,
    facts: facts?.success ? facts.data : null,
    gpus: Array.isArray(raw?.gpus) ? raw.gpus : [],
  };
}

/** Deployments in the store. `facts` holds `moetrain version --json` plus `gpus` (nvidia-smi). */
export class DeploymentStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO deployments (node_id, trainer_hash, remote_dir, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
      ),
      finish: db.prepare(
        `UPDATE deployments SET status = @status, uploaded = @uploaded, built = @built, finished_at = @now,
           build_log_tail = @logTail, error_message = @message, error_hint = @hint, facts = @facts WHERE id = @id`,
      ),
      get: db.prepare('SELECT * FROM deployments WHERE id = ?'),
      list: db.prepare(
        'SELECT * FROM deployments WHERE (@nodeId IS NULL OR node_id = @nodeId) ORDER BY id DESC LIMIT 200',
      ),
      latestReady: db.prepare(
        "SELECT * FROM deployments WHERE node_id = ? AND status = 'ready' ORDER BY id DESC LIMIT 1",
      ),
      readyWithHash: db.prepare(
        "SELECT * FROM deployments WHERE node_id = ? AND trainer_hash = ? AND status = 'ready' AND facts IS NOT NULL " +
          'ORDER BY id DESC LIMIT 1',
      ),
    };
  }

  /** Starts a deployment row. */
  start(nodeId: string, hash: string, remoteDir: string): Deployment {
    const id = Number(this.stmts.insert.run(nodeId, hash, remoteDir, Date.now() / 1000).lastInsertRowid);
    return this.get(id);
  }

  /** Finishes a deployment. */
  finish(
    id: number,
    outcome: {
      status: 'ready' | 'failed';
      uploaded: boolean;
      built: boolean;
      logTail: string | null;
      message?: string | null;
      hint?: string | null;
      facts?: unknown;
    },
  ): Deployment {
    this.stmts.finish.run({
      id,
      status: outcome.status,
      uploaded: outcome.uploaded ? 1 : 0,
      built: outcome.built ? 1 : 0,
      now: Date.now() / 1000,
      logTail: outcome.logTail,
      message: outcome.message ?? null,
      hint: outcome.hint ?? null,
      facts: outcome.facts === undefined || outcome.facts === null ? null : JSON.stringify(outcome.facts),
    });
    return this.get(id);
  }

  get(id: number): Deployment {
    return toDeployment(this.stmts.get.get(id) as DeploymentRow);
  }

  /** Newest first, optionally for one node. */
  list(nodeId: string | null): Deployment[] {
    return (this.stmts.list.all({ nodeId }) as DeploymentRow[]).map(toDeployment);
  }

  /** The newest ready deployment of a node. */
  latestReady(nodeId: string): Deployment | null {
    const row = this.stmts.latestReady.get(nodeId) as DeploymentRow | undefined;
    return row ? toDeployment(row) : null;
  }

  /** A ready deployment of exactly this source hash (its facts can be reused). */
  readyWithHash(nodeId: string, hash: string): Deployment | null {
    const row = this.stmts.readyWithHash.get(nodeId, hash) as DeploymentRow | undefined;
    return row ? toDeployment(row) : null;
  }
}

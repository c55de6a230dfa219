import type { EvalEverySetting } from '../../contract/evals.js';
import type {
  CheckpointRecord,
  IngestStatus,
  RunAttempt,
  RunDetail,
  RunEvent,
  RunState,
  RunSummary,
} from '../../contract/runs.js';
import type { Db } from '../db/database.js';
import { ServiceError } from '../errors.js';

interface RunRow {
  key: number;
  id: string;
  name: string;
  node_id: string;
  deployment_id: number | null;
  trainer_hash: string | null;
  preset: string | null;
  overrides: string;
  flags: string;
  config: string;
  state: RunState;
  state_message: string | null;
  stop_requested: number;
  remote_dir: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  exit_code: number | null;
  last_step: number | null;
  last_heartbeat: number | null;
  tags: string;
  notes: string;
  parent_run_id: string | null;
  parent_checkpoint_id: number | null;
  eval_every: string | null;
  attempt: number | null;
}

/** A run row with the fields the services need beyond the summary. */
export interface StoredRun extends RunSummary {
  key: number;
  stopRequested: boolean;
  deploymentId: number | null;
}

/** Fields of a new run. */
export interface NewRun {
  id: string;
  name: string;
  nodeId: string;
  deploymentId: number | null;
  trainerHash: string | null;
  preset: string;
  overrides: Record<string, string>;
  flags: string;
  config: Record<string, unknown>;
  remoteDir: string;
  tags: string[];
  notes: string;
  /** Lineage of a fork: the run and checkpoint it started from. */
  parentRunId?: string | null;
  parentCheckpointId?: number | null;
  evalEvery?: EvalEverySetting | null;
}

/** State changes with the facts that come with them. */
export interface StateChange {
  state: RunState;
  message?: string | null;
  exitCode?: number | null;
  startedAt?: number | null;
  endedAt?: number | null;
  lastHeartbeat?: number | null;
  stopRequested?: boolean;
}

const selectRun = `SELECT runs.*, (SELECT max(attempt) FROM attempts WHERE attempts.run_id = runs.id) AS attempt FROM runs`;

function toStored(row: RunRow): StoredRun {
  return {
    key: row.key,
    id: row.id,
    name: row.name,
    nodeId: row.node_id,
    preset: row.preset,
    overrides: JSON.parse(row.overrides) as Record<string, string>,
    state: row.state,
    stateMessage: row.state_message,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    remoteDir: row.remote_dir,
    trainerHash: row.trainer_hash,
    lastStep: row.last_step,
    lastHeartbeat: row.last_heartbeat,
    attempt: row.attempt ?? 0,
    tags: JSON.parse(row.tags) as string[],
    notes: row.notes,
    parentRunId: row.parent_run_id,
    parentCheckpointId: row.parent_checkpoint_id,
    evalEvery: row.eval_every ? (JSON.parse(row.eval_every) as EvalEverySetting) : null,
    stopRequested: row.stop_requested === 1,
    deploymentId: row.deployment_id,
  };
}

/** The summary the contract carries (no internal keys). */
export function toSummary(run: StoredRun): RunSummary {
  const { key: _key, stopRequested: _stop, deploymentId: _dep, ...summary } = run;
  return summary;
}

/** Runs and what belongs to them in the store. */
export class RunStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO runs (id, name, node_id, deployment_id, trainer_hash, preset, overrides, flags, config, state, remote_dir,
           created_at, tags, notes, parent_run_id, parent_checkpoint_id, eval_every)
         VALUES (@id, @name, @nodeId, @deploymentId, @trainerHash, @preset, @overrides, @flags, @config, 'launching', @remoteDir,
           @now, @tags, @notes, @parentRunId, @parentCheckpointId, @evalEvery)`,
      ),
      get: db.prepare(`${selectRun} WHERE runs.id = ?`),
      list: db.prepare(
        `${selectRun} WHERE (@nodeId IS NULL OR node_id = @nodeId) ORDER BY created_at DESC, key DESC LIMIT @limit`,
      ),
      active: db.prepare(
        `${selectRun} WHERE state IN ('launching', 'running', 'unresponsive', 'stopping') ORDER BY key`,
      ),
      update: db.prepare('UPDATE runs SET name = @name, tags = @tags, notes = @notes WHERE id = @id'),
      state: db.prepare(
        `UPDATE runs SET state = @state,
           state_message = CASE WHEN @setMessage THEN @message ELSE state_message END,
           exit_code = CASE WHEN @setExit THEN @exitCode ELSE exit_code END,
           started_at = coalesce(@startedAt, started_at),
           ended_at = CASE WHEN @setEnded THEN @endedAt ELSE ended_at END,
           last_heartbeat = coalesce(@lastHeartbeat, last_heartbeat),
           stop_requested = coalesce(@stopRequested, stop_requested)
         WHERE id = @id`,
      ),
      attempts: db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY attempt'),
      attemptExit: db.prepare(
        `INSERT INTO attempts (run_id, attempt, exit_code, ended_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, attempt) DO UPDATE SET exit_code = excluded.exit_code, ` +
          'ended_at = coalesce(attempts.ended_at, excluded.ended_at)',
      ),
      checkpoints: db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step, attempt'),
      events: db.prepare(
        'SELECT attempt, type, kind, step, time, message FROM run_events WHERE run_key = ? ORDER BY byte_offset DESC LIMIT 200',
      ),
      lastStatus: db.prepare(
        "SELECT attempt, kind AS state, message FROM run_events WHERE run_key = ? AND type = 'status' ORDER BY byte_offset DESC LIMIT 1",
      ),
      cursor: db.prepare("SELECT * FROM ingest_cursors WHERE run_id = ? AND stream = 'metrics'"),
      config: db.prepare('SELECT config FROM runs WHERE id = ?').pluck(),
      device: db
        .prepare(
          "SELECT json_extract(header, '$.trainer.device') FROM attempts " +
            'WHERE run_id = ? AND header IS NOT NULL ORDER BY attempt DESC LIMIT 1',
        )
        .pluck(),
    };
  }

  /** Inserts a run in state `launching`. */
  create(run: NewRun): StoredRun {
    this.stmts.insert.run({
      ...run,
      overrides: JSON.stringify(run.overrides),
      config: JSON.stringify(run.config),
      tags: JSON.stringify(run.tags),
      parentRunId: run.parentRunId ?? null,
      parentCheckpointId: run.parentCheckpointId ?? null,
      evalEvery: run.evalEvery ? JSON.stringify(run.evalEvery) : null,
      now: Date.now() / 1000,
    });
    return this.get(run.id);
  }

  /** One run, or not_found. */
  get(id: string): StoredRun {
    const row = this.stmts.get.get(id) as RunRow | undefined;
    if (!row) throw new ServiceError('not_found', `There is no run "${id}".`, 'See the run list (`moewb runs list`).');
    return toStored(row);
  }

  /** Runs, newest first. */
  list(nodeId: string | null, limit: number): StoredRun[] {
    return (this.stmts.list.all({ nodeId, limit }) as RunRow[]).map(toStored);
  }

  /** Runs whose state is not final: the ones to watch. */
  active(): StoredRun[] {
    return (this.stmts.active.all() as RunRow[]).map(toStored);
  }

  /** Changes name, tags and notes. */
  updateInfo(id: string, patch: { name?: string; tags?: string[]; notes?: string }): StoredRun {
    const run = this.get(id);
    this.stmts.update.run({
      id,
      name: patch.name ?? run.name,
      tags: JSON.stringify(patch.tags ?? run.tags),
      notes: patch.notes ?? run.notes,
    });
    return this.get(id);
  }

  /** Records a state and the facts that came with it. */
  setState(id: string, change: StateChange): StoredRun {
    this.stmts.state.run({
      id,
      state: change.state,
      setMessage: change.message !== undefined ? 1 : 0,
      message: change.message ?? null,
      setExit: change.exitCode !== undefined ? 1 : 0,
      exitCode: change.exitCode ?? null,
      startedAt: change.startedAt ?? null,
      setEnded: change.endedAt !== undefined ? 1 : 0,
      endedAt: change.endedAt ?? null,
      lastHeartbeat: change.lastHeartbeat ?? null,
      stopRequested: change.stopRequested === undefined ? null : change.stopRequested ? 1 : 0,
    });
    return this.get(id);
  }

  /** Records how an attempt ended (from the wrapper's exit_code). */
  recordAttemptExit(id: string, attempt: number, exitCode: number | null, endedAt: number): void {
    if (attempt >= 1) this.stmts.attemptExit.run(id, attempt, exitCode, endedAt);
  }

  /** The newest status record of the stream, if any. */
  lastStatus(run: StoredRun): { attempt: number; state: string; message: string | null } | null {
    return (
      (this.stmts.lastStatus.get(run.key) as { attempt: number; state: string; message: string | null } | undefined) ??
      null
    );
  }

  /** The run's resolved configuration (`moetrain config --json`). */
  configOf(id: string): Record<string, unknown> {
    const text = this.stmts.config.get(id) as string | undefined;
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** The device the run's newest attempt trained on (`cpu`, `cuda`), from its header record. */
  deviceOf(id: string): string | null {
    return (this.stmts.device.get(id) as string | null | undefined) ?? null;
  }

  /** Everything about a run. */
  detail(id: string): RunDetail {
    const run = this.get(id);
    const attempts = (this.stmts.attempts.all(id) as Record<string, unknown>[]).map((a): RunAttempt => ({
      attempt: a.attempt as number,
      resumeStep: a.resume_step as number | null,
      resumeCheckpoint: a.resume_checkpoint as string | null,
      startedAt: a.started_at as number | null,
      endedAt: a.ended_at as number | null,
      exitCode: a.exit_code as number | null,
      state: a.state as string | null,
      message: a.message as string | null,
    }));
    const checkpoints = (this.stmts.checkpoints.all(id) as Record<string, unknown>[]).map((c): CheckpointRecord => ({
      id: c.id as number,
      attempt: c.attempt as number,
      step: c.step as number,
      tokens: c.tokens as number | null,
      bytes: c.bytes as number | null,
      path: c.path as string,
      loss: c.loss as number | null,
      valLoss: c.val_loss as number | null,
      reason: c.reason as string | null,
      status: c.status as CheckpointRecord['status'],
    }));
    const events = (this.stmts.events.all(run.key) as RunEvent[]).reverse();
    const c = this.stmts.cursor.get(id) as Record<string, unknown> | undefined;
    const ingest: IngestStatus = {
      byteOffset: (c?.byte_offset as number | undefined) ?? 0,
      lines: (c?.line_count as number | undefined) ?? 0,
      errorCount: (c?.error_count as number | undefined) ?? 0,
      blocked: (c?.blocked as string | null | undefined) ?? null,
    };
    const row = this.stmts.get.get(id) as RunRow;
    return {
      ...toSummary(run),
      flags: row.flags,
      config: JSON.parse(row.config) as Record<string, unknown>,
      attempts,
      checkpoints,
      events,
      ingest,
    };
  }
}

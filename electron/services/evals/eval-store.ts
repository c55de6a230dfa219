import type {
  EvalJob,
  EvalJobState,
  EvalKind,
  EvalResult,
  EvalSeries,
  LeaderboardColumn,
  LeaderboardRow,
} from '../../contract/evals.js';
import type { Db } from '../db/database.js';
import { ServiceError } from '../errors.js';

interface JobRow {
  id: number;
  checkpoint_id: number;
  run_id: string;
  step: number;
  kind: EvalKind;
  tasks: string;
  eval_limit: number | null;
  local_tasks: string | null;
  state: EvalJobState;
  message: string | null;
  origin: 'manual' | 'schedule';
  worker: number | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
}

/** A job with the options it runs with. */
export interface StoredJob extends EvalJob {
  localTasksDir: string | null;
  /** Pid of the workbench process that runs it. */
  worker: number | null;
}

/** Fields of a new job. */
export interface NewJob {
  checkpointId: number;
  runId: string;
  kind: EvalKind;
  tasks: string[];
  limit: number | null;
  localTasksDir: string | null;
  origin: 'manual' | 'schedule';
  /** For scheduled jobs: the multiple of the run's evalEvery.tokens it is for (each is queued once). */
  triggerTokens?: number;
  /** Pid of the workbench process that queues and runs it. */
  worker: number;
}

/** One score to store. */
export interface Score {
  task: string;
  metric: string;
  value: number | null;
}

/** Metrics where smaller is better. */
const lowerIsBetter = /(^|_)(loss|ppl|perplexity|bits_per_byte)$/;

function toJob(r: JobRow): StoredJob {
  return {
    id: r.id,
    checkpointId: r.checkpoint_id,
    runId: r.run_id,
    step: r.step,
    kind: r.kind,
    tasks: JSON.parse(r.tasks) as string[],
    limit: r.eval_limit,
    state: r.state,
    message: r.message,
    trigger: r.origin,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    localTasksDir: r.local_tasks,
    worker: r.worker,
  };
}

const jobSelect = 'SELECT j.*, c.step FROM eval_jobs j JOIN checkpoints c ON c.id = j.checkpoint_id';
const resultSelect = `SELECT e.id, e.checkpoint_id, c.run_id, r.name AS run_name, c.step, c.tokens, e.kind, e.task, e.metric, e.value,
  e.job_id, e.created_at FROM evaluations e JOIN checkpoints c ON c.id = e.checkpoint_id JOIN runs r ON r.id = c.run_id`;

interface ResultRow {
  id: number;
  checkpoint_id: number;
  run_id: string;
  run_name: string;
  step: number;
  tokens: number | null;
  kind: EvalKind;
  task: string;
  metric: string;
  value: number | null;
  job_id: number | null;
  created_at: number;
}

function toResult(r: ResultRow): EvalResult {
  return {
    id: r.id,
    checkpointId: r.checkpoint_id,
    runId: r.run_id,
    runName: r.run_name,
    step: r.step,
    tokens: r.tokens,
    kind: r.kind,
    task: r.task,
    metric: r.metric,
    value: r.value,
    jobId: r.job_id,
    createdAt: r.created_at,
  };
}

/** Evaluation jobs and scores in SQLite. */
export class EvalStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO eval_jobs (checkpoint_id, run_id, kind, tasks, eval_limit, local_tasks, state, origin, ` +
          `trigger_tokens, worker, created_at)
         VALUES (@checkpointId, @runId, @kind, @tasks, @limit, @localTasksDir, 'queued', @origin, @triggerTokens, @worker, @now)
         ON CONFLICT DO NOTHING`,
      ),
      get: db.prepare(`${jobSelect} WHERE j.id = ?`),
      jobs: db.prepare(`${jobSelect} WHERE (@runId IS NULL OR j.run_id = @runId) ORDER BY j.id DESC LIMIT @limit`),
      unfinished: db.prepare(`${jobSelect} WHERE j.state IN ('queued', 'running') ORDER BY j.id`),
      state: db.prepare(
        `UPDATE eval_jobs SET state = @state, message = @message,
           started_at = CASE WHEN @state = 'running' THEN @now ELSE started_at END,
           ended_at = CASE WHEN @state IN ('done', 'failed') THEN @now ELSE ended_at END,
           output = coalesce(@output, output)
         WHERE id = @id`,
      ),
      score: db.prepare(
        `INSERT INTO evaluations (checkpoint_id, task, metric, value, created_at, kind, job_id) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (checkpoint_id, task, metric) DO UPDATE SET value = excluded.value, created_at = excluded.created_at,
           kind = excluded.kind, job_id = excluded.job_id`,
      ),
      results: db.prepare(
        `${resultSelect} WHERE (@runId IS NULL OR c.run_id = @runId) AND (@checkpointId IS NULL OR e.checkpoint_id = @checkpointId)
           AND (@kind IS NULL OR e.kind = @kind) ORDER BY c.run_id, c.step, e.task, e.metric`,
      ),
      series: db.prepare(`${resultSelect} WHERE c.run_id = ? AND e.task = ? AND e.metric = ? ORDER BY c.step`),
      all: db.prepare(`${resultSelect} ORDER BY r.created_at, c.step`),
    };
  }

  /** Queues a job; for a scheduled multiple that was queued before, returns null. */
  add(job: NewJob): StoredJob | null {
    const r = this.stmts.insert.run({
      ...job,
      tasks: JSON.stringify(job.tasks),
      triggerTokens: job.triggerTokens ?? null,
      now: Date.now() / 1000,
    });
    return r.changes === 0 ? null : this.get(Number(r.lastInsertRowid));
  }

  /** One job, or not_found. */
  get(id: number): StoredJob {
    const row = this.stmts.get.get(id) as JobRow | undefined;
    if (!row)
      throw new ServiceError('not_found', `There is no evaluation job ${id}.`, 'List the jobs (`moewb evals jobs`).');
    return toJob(row);
  }

  /** Jobs, newest first. */
  jobs(runId: string | null, limit: number): StoredJob[] {
    return (this.stmts.jobs.all({ runId, limit }) as JobRow[]).map(toJob);
  }

  /** Jobs left queued or running (by a workbench that closed). */
  unfinished(): StoredJob[] {
    return (this.stmts.unfinished.all() as JobRow[]).map(toJob);
  }

  /** Moves a job to a state, with its message and (when finished) the raw output kept for reference. */
  setState(id: number, state: EvalJobState, message: string | null, output: string | null = null): StoredJob {
    this.stmts.state.run({ id, state, message, output, now: Date.now() / 1000 });
    return this.get(id);
  }

  /** Stores a job's scores (a re-evaluation replaces the checkpoint's earlier value of the same task and metric). */
  saveScores(job: StoredJob, scores: Score[]): void {
    const now = Date.now() / 1000;
    this.db.transaction(() => {
      for (const s of scores) this.stmts.score.run(job.checkpointId, s.task, s.metric, s.value, now, job.kind, job.id);
    })();
  }

  /** Stored scores. */
  results(filter: { runId?: string; checkpointId?: number; kind?: EvalKind }): EvalResult[] {
    return (
      this.stmts.results.all({
        runId: filter.runId ?? null,
        checkpointId: filter.checkpointId ?? null,
        kind: filter.kind ?? null,
      }) as ResultRow[]
    ).map(toResult);
  }

  /** Checkpoints (rows) against (task, metric) columns; stderr metrics are left out of the columns. */
  leaderboard(
    tasks: string[] | undefined,
    runIds: string[] | undefined,
  ): { columns: LeaderboardColumn[]; rows: LeaderboardRow[] } {
    const all = (this.stmts.all.all() as ResultRow[]).filter(
      (r) =>
        !r.metric.endsWith('_stderr') && (!tasks || tasks.includes(r.task)) && (!runIds || runIds.includes(r.run_id)),
    );
    const columns = new Map<string, LeaderboardColumn>();
    const rows = new Map<number, LeaderboardRow>();
    for (const r of all) {
      const key = `${r.task}/${r.metric}`;
      if (!columns.has(key))
        columns.set(key, { task: r.task, metric: r.metric, higherIsBetter: !lowerIsBetter.test(r.metric) });
      let row = rows.get(r.checkpoint_id);
      if (!row) {
        row = {
          checkpointId: r.checkpoint_id,
          runId: r.run_id,
          runName: r.run_name,
          step: r.step,
          tokens: r.tokens,
          scores: {},
        };
        rows.set(r.checkpoint_id, row);
      }
      row.scores[key] = r.value;
    }
    const sorted = [...columns.values()].sort(
      (a, b) => a.task.localeCompare(b.task) || a.metric.localeCompare(b.metric),
    );
    return { columns: sorted, rows: [...rows.values()] };
  }

  /** A score against tokens for each run. */
  series(runIds: string[], runName: (id: string) => string, task: string, metric: string): EvalSeries[] {
    return runIds.map((runId) => ({
      runId,
      runName: runName(runId),
      points: (this.stmts.series.all(runId, task, metric) as ResultRow[]).map((r) => ({
        checkpointId: r.checkpoint_id,
        step: r.step,
        tokens: r.tokens,
        value: r.value,
      })),
    }));
  }
}

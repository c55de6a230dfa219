import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { EvalJob, EvalKind, EvalProgress, EvalReference } from '../../contract/evals.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { ServiceError } from '../errors.js';
import type { NodeHandle } from '../nodes/node.js';
import type { NodePool } from '../nodes/node-pool.js';
import type { RunStore } from '../runs/run-store.js';
import { runLmEval, runNative, type EvalTools } from './eval-runner.js';
import type { EvalStore, NewJob, StoredJob } from './eval-store.js';

/** What evaluations need. */
export interface EvalServiceDeps {
  store: EvalStore;
  checkpoints: CheckpointStore;
  runs: RunStore;
  pool: NodePool;
  /** The trainer binary and lm_eval_run.py on a node, and the Python to run it with. */
  tools: (node: NodeHandle) => Promise<EvalTools>;
  /** resources/eval-reference.json. */
  referencePath: string;
  onProgress: (p: EvalProgress) => void;
  onChanged: (job: EvalJob) => void;
}

/** Options of one evaluation. */
export interface EvalOptions {
  kind: EvalKind;
  tasks: string[];
  limit?: number | undefined;
  localTasksDir?: string | undefined;
}

function publicJob(job: StoredJob): EvalJob {
  const { localTasksDir: _dir, worker: _worker, ...rest } = job;
  return rest;
}

/** True while the process with this pid exists on this machine. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Queues evaluations and runs them one at a time; results go to the store. */
export class EvalService {
  private chain: Promise<void> = Promise.resolve();
  private readonly done = new Map<number, Promise<void>>();
  private closed = false;
  private readonly abort = new AbortController();
  private reference: EvalReference | null = null;

  constructor(private readonly d: EvalServiceDeps) {
    // Jobs of a workbench process that is gone cannot be followed; say so rather than leave them
    // "running". Another live process (the app while `moewb` runs) keeps its own.
    for (const job of d.store.unfinished()) {
      if (job.worker !== null && job.worker !== process.pid && processAlive(job.worker)) continue;
      d.store.setState(job.id, 'failed', 'the workbench closed before this evaluation finished; run it again');
    }
  }

  /** Queues an evaluation of a checkpoint; with `wait`, resolves once it has finished. */
  async run(checkpointId: number, options: EvalOptions, wait: boolean): Promise<EvalJob> {
    const checkpoint = this.d.checkpoints.get(checkpointId);
    if (checkpoint.status === 'deleted') {
      throw new ServiceError(
        'conflict',
        `Checkpoint step ${checkpoint.step} of run ${checkpoint.runId} was deleted.`,
        'Evaluate a checkpoint that still exists (`moewb checkpoints list`).',
      );
    }
    if (options.kind === 'lm-eval' && options.tasks.length === 0) {
      throw new ServiceError(
        'invalid_request',
        'lm-eval needs at least one task.',
        'Name tasks, e.g. --tasks arc_easy,hellaswag.',
      );
    }
    const job = this.queue({
      checkpointId,
      runId: checkpoint.runId,
      kind: options.kind,
      tasks: options.kind === 'native' ? [] : options.tasks,
      limit: options.limit ?? null,
      localTasksDir: options.localTasksDir ?? null,
      origin: 'manual',
      worker: process.pid,
    }) as StoredJob;
    if (wait) await this.done.get(job.id);
    return publicJob(this.d.store.get(job.id));
  }

  /**
   * Queues the scheduled evaluations of a run (its evalEvery setting): each complete checkpoint whose
   * tokens cross a multiple of N since the checkpoint before it, once per multiple.
   */
  schedule(runId: string): EvalJob[] {
    const run = this.d.runs.get(runId);
    const every = run.evalEvery;
    if (!every || this.closed) return [];
    const queued: EvalJob[] = [];
    let previous = 0;
    for (const c of this.d.checkpoints.list(runId)) {
      if (c.tokens === null) continue;
      const multiple = Math.floor(c.tokens / every.tokens) * every.tokens;
      if (c.status === 'complete' && multiple > 0 && multiple > previous) {
        const job = this.queue({
          checkpointId: c.id,
          runId,
          kind: every.kind,
          tasks: every.kind === 'native' ? [] : every.tasks,
          limit: every.limit,
          localTasksDir: every.localTasksDir,
          origin: 'schedule',
          triggerTokens: multiple,
          worker: process.pid,
        });
        if (job) queued.push(publicJob(job));
      }
      previous = Math.max(previous, c.tokens);
    }
    return queued;
  }

  /** The published reference scores. */
  referenceScores(): EvalReference {
    if (!this.reference) {
      try {
        this.reference = JSON.parse(readFileSync(this.d.referencePath, 'utf8')) as EvalReference;
      } catch (err) {
        throw new ServiceError(
          'storage_failed',
          `Cannot read the reference scores ${this.d.referencePath}: ${(err as Error).message}`,
          'Reinstall the workbench (resources/ is incomplete).',
        );
      }
    }
    return this.reference;
  }

  /** Stops the running evaluation and fails the queued ones; resolves once they are recorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.chain;
  }

  private queue(job: NewJob): StoredJob | null {
    const stored = this.d.store.add(job);
    if (!stored) return null;
    this.d.onChanged(publicJob(stored));
    this.progress(stored, 'queued', 'waiting for earlier evaluations');
    // execute() records its own failures; a store that is gone (closing) must not stop the queue.
    const finished = this.chain.then(() => this.execute(stored.id)).catch(() => undefined);
    this.chain = finished;
    this.done.set(stored.id, finished);
    void finished.finally(() => this.done.delete(stored.id));
    return stored;
  }

  private progress(job: StoredJob, phase: EvalProgress['phase'], message: string): void {
    this.d.onProgress({ jobId: job.id, checkpointId: job.checkpointId, phase, message });
  }

  private async execute(jobId: number): Promise<void> {
    let job = this.d.store.setState(jobId, 'running', null);
    this.d.onChanged(publicJob(job));
    const progress = (phase: EvalProgress['phase'], message: string): void => this.progress(job, phase, message);
    try {
      const checkpoint = this.d.checkpoints.get(job.checkpointId);
      const run = this.d.runs.get(job.runId);
      const node = await this.d.pool.get(run.nodeId);
      if ((await node.stat(posix.join(checkpoint.remotePath, 'COMPLETE'))) === null) {
        throw new ServiceError(
          'not_found',
          `Checkpoint step ${checkpoint.step} is no longer complete on its node (${checkpoint.remotePath}).`,
          'Retention or a delete removed it; evaluate another checkpoint.',
        );
      }
      if (this.closed)
        throw new ServiceError('unavailable', 'the workbench closed before this evaluation started; run it again');
      const tools = { ...(await this.d.tools(node)), signal: this.abort.signal };
      const flags = (this.d.runs.configOf(run.id).flags ?? {}) as Record<string, unknown>;
      const outcome =
        job.kind === 'native'
          ? await runNative(node, tools, checkpoint, job, Number(flags['val-tokens'] ?? 0), progress)
          : await runLmEval(
              node,
              tools,
              checkpoint,
              run.remoteDir,
              job,
              this.d.runs.deviceOf(run.id) === 'cuda' ? 'cuda' : 'cpu',
              progress,
            );
      progress('store', `storing ${outcome.scores.length} scores`);
      this.d.store.saveScores(job, outcome.scores);
      job = this.d.store.setState(jobId, 'done', outcome.message, outcome.output);
      progress('done', outcome.message);
    } catch (err) {
      const message = this.closed
        ? 'the workbench closed during this evaluation; run it again'
        : err instanceof ServiceError && err.hint
          ? `${err.message} ${err.hint}`
          : (err as Error).message;
      job = this.d.store.setState(jobId, 'failed', message);
      progress('failed', message);
    }
    this.d.onChanged(publicJob(job));
  }
}

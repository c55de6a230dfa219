import { z } from 'zod';
import { channel, event } from './define.js';

/**
 * Kinds of evaluation: `native` = `moetrain eval --json` (held-out loss and perplexity, per data domain);
 * `lm-eval` = the checkpoint exported with `moetrain export-hf`, then lm-evaluation-harness on it.
 */
export const evalKinds = ['native', 'lm-eval'] as const;
/** A kind of evaluation. */
export type EvalKind = (typeof evalKinds)[number];

/** States of an evaluation job. */
export const evalJobStates = ['queued', 'running', 'done', 'failed'] as const;
/** A job's state. */
export type EvalJobState = (typeof evalJobStates)[number];

/** One evaluation of one checkpoint. */
export interface EvalJob {
  id: number;
  checkpointId: number;
  runId: string;
  step: number;
  kind: EvalKind;
  /** lm-eval task names (empty for native). */
  tasks: string[];
  limit: number | null;
  state: EvalJobState;
  /** What happened ("12 scores stored", the error and its fix). */
  message: string | null;
  /** `manual` from evals:run, `schedule` from a run's evalEvery setting. */
  trigger: 'manual' | 'schedule';
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/**
 * One stored score. Native results use task `native` (the whole validation set) and `native/<domain>`
 * with metrics `loss` and `ppl`; lm-eval results use the harness's task and metric names (`acc`,
 * `acc_norm`, `acc_stderr`, ...), values as the harness reports them (fractions, not percent).
 */
export interface EvalResult {
  id: number;
  checkpointId: number;
  runId: string;
  runName: string;
  step: number;
  tokens: number | null;
  kind: EvalKind;
  task: string;
  metric: string;
  value: number | null;
  jobId: number | null;
  createdAt: number;
}

/** A column of the leaderboard: one (task, metric). */
export interface LeaderboardColumn {
  task: string;
  metric: string;
  /** Larger is better (acc) or smaller is better (loss, ppl). */
  higherIsBetter: boolean;
}

/** A row of the leaderboard: one checkpoint of any run. */
export interface LeaderboardRow {
  checkpointId: number;
  runId: string;
  runName: string;
  step: number;
  tokens: number | null;
  /** Score per column, keyed `task/metric`; missing = not evaluated. */
  scores: Record<string, number | null>;
}

/** One published model's scores (docs/model.md, Evaluation reference), for comparison. */
export interface ReferenceModel {
  model: string;
  /** Active parameters and training tokens as published ("2.2B", "1.25T"). */
  active: string;
  tokens: string;
  /** Score per benchmark key, as fractions (0.487 = 48.7). */
  scores: Record<string, number>;
}

/** A benchmark of the reference table and the lm-eval task/metric that measures it. */
export interface ReferenceBenchmark {
  key: string;
  label: string;
  task: string;
  metric: string;
  fewshot: number;
}

/** The reference table (resources/eval-reference.json). */
export interface EvalReference {
  source: string;
  benchmarks: ReferenceBenchmark[];
  models: ReferenceModel[];
}

/** Answer of `evals:leaderboard`. */
export interface Leaderboard {
  columns: LeaderboardColumn[];
  rows: LeaderboardRow[];
  reference: EvalReference;
}

/** One run's curve of a score against training tokens. */
export interface EvalSeries {
  runId: string;
  runName: string;
  points: { checkpointId: number; step: number; tokens: number | null; value: number | null }[];
}

/** A run setting: evaluate every N training tokens (when a checkpoint crosses a multiple of N). */
export interface EvalEverySetting {
  tokens: number;
  kind: EvalKind;
  tasks: string[];
  limit: number | null;
  localTasksDir: string | null;
}

/** Progress of an evaluation job. */
export interface EvalProgress {
  jobId: number;
  checkpointId: number;
  phase: 'queued' | 'export' | 'evaluate' | 'store' | 'done' | 'failed';
  message: string;
}

const taskName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'a task is an lm-eval task name such as arc_easy');
const runId = z.string().regex(/^r-[0-9]{8}-[0-9a-f]{6}$/, 'a run id looks like r-20261129-a1b2c3');

/** Options shared by `evals:run` and a run's evalEvery setting. */
export const evalOptionsSchema = z.object({
  kind: z.enum(evalKinds),
  /** lm-eval task names (required for lm-eval). */
  tasks: z.array(taskName).max(64).default([]),
  /** Documents per task (lm-eval) or validation tokens (native: `--val-tokens`). */
  limit: z.number().int().min(1).optional(),
  /** A folder on the node with extra lm-eval task YAML files (`--include-path`). */
  localTasksDir: z.string().min(1).optional(),
});

/** The launch/fork option that schedules evaluations during a run. */
export const evalEverySchema = evalOptionsSchema
  .extend({ tokens: z.number().int().min(1) })
  .strict()
  .refine((r) => r.kind !== 'lm-eval' || r.tasks.length > 0, {
    message: 'lm-eval needs at least one task',
    path: ['tasks'],
  });

const runRequest = evalOptionsSchema
  .extend({
    checkpointId: z.number().int().min(1),
    /** Resolve only when the job has finished (the CLI waits; the UI follows `evals:progress`). */
    wait: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.kind !== 'lm-eval' || r.tasks.length > 0, {
    message: 'lm-eval needs at least one task',
    path: ['tasks'],
  });
const listRequest = z
  .object({
    runId: runId.optional(),
    checkpointId: z.number().int().min(1).optional(),
    kind: z.enum(evalKinds).optional(),
  })
  .strict();
const jobsRequest = z
  .object({ runId: runId.optional(), limit: z.number().int().min(1).max(10_000).default(200) })
  .strict();
const jobRequest = z.object({ jobId: z.number().int().min(1) }).strict();
const leaderboardRequest = z
  .object({ tasks: z.array(z.string().min(1)).max(64).optional(), runIds: z.array(runId).max(200).optional() })
  .strict();
const seriesRequest = z
  .object({ runIds: z.array(runId).min(1).max(50), task: z.string().min(1), metric: z.string().min(1) })
  .strict();

/** Request of `evals:run`. */
export type EvalRunRequest = z.input<typeof runRequest>;

/** Channels of the `evals` domain. */
export const evalsChannels = {
  /** Queues an evaluation of a checkpoint on its run's node; results land in the store. */
  'evals:run': channel<typeof runRequest, EvalJob>(runRequest),
  /** Evaluation jobs, newest first. */
  'evals:jobs': channel<typeof jobsRequest, EvalJob[]>(jobsRequest),
  'evals:job': channel<typeof jobRequest, EvalJob>(jobRequest),
  /** Stored scores, by run and step. */
  'evals:list': channel<typeof listRequest, EvalResult[]>(listRequest),
  /** Checkpoints of any run (rows) against tasks (columns), with the published reference scores. */
  'evals:leaderboard': channel<typeof leaderboardRequest, Leaderboard>(leaderboardRequest),
  /** One score against training tokens, per run. */
  'evals:series': channel<typeof seriesRequest, EvalSeries[]>(seriesRequest),
  /** The published reference scores (JetMoE-8B and the models it was compared with). */
  'evals:reference': channel<z.ZodObject<Record<string, never>>, EvalReference>(z.object({}).strict()),
} as const;

/** Events of the `evals` domain. */
export const evalsEvents = {
  'evals:progress': event<EvalProgress>(),
  /** A job was queued, started or finished. */
  'evals:changed': event<{ job: EvalJob }>(),
} as const;

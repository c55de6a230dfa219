import { z } from 'zod';
import { channel, event } from './define.js';
import { evalEverySchema, type EvalEverySetting } from './evals.js';
import { exactNumber } from './numbers.js';

/** States of a run; the last three are final until a resume starts a new attempt. */
export const runStates = [
  'launching',
  'running',
  'unresponsive',
  'stopping',
  'completed',
  'stopped',
  'failed',
] as const;
/** A run's state as the workbench judges it (docs/run-directory.md, "Liveness"). */
export type RunState = (typeof runStates)[number];
/** True for completed, stopped and failed. */
export function isFinalState(state: RunState): boolean {
  return state === 'completed' || state === 'stopped' || state === 'failed';
}

/** A run as lists show it. */
export interface RunSummary {
  id: string;
  name: string;
  nodeId: string;
  preset: string | null;
  overrides: Record<string, string>;
  state: RunState;
  /** Why the run is in its state ("the node rebooted", "exited with code 1: ..."). */
  stateMessage: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  /** The run directory on its node. */
  remoteDir: string;
  trainerHash: string | null;
  lastStep: number | null;
  /** The trainer's last heartbeat time (the node's clock). */
  lastHeartbeat: number | null;
  /** The newest attempt (1 on a fresh start, +1 per resume); 0 before the trainer wrote its header. */
  attempt: number;
  tags: string[];
  notes: string;
  parentRunId: string | null;
  parentCheckpointId: number | null;
  /** Evaluate every N training tokens (when a checkpoint crosses a multiple of N); absent when not set. */
  evalEvery?: EvalEverySetting | null;
}

/** One start or resume of the trainer. */
export interface RunAttempt {
  attempt: number;
  resumeStep: number | null;
  resumeCheckpoint: string | null;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  state: string | null;
  message: string | null;
}

/** A complete checkpoint of a run (docs/checkpoints.md), from the ledger. */
export interface CheckpointRecord {
  id: number;
  attempt: number;
  step: number;
  tokens: number | null;
  bytes: number | null;
  path: string;
  loss: number | null;
  valLoss: number | null;
  reason: string | null;
  status: 'complete' | 'deleted' | 'corrupt';
}

/** A notable record of the stream: header, event or status. */
export interface RunEvent {
  attempt: number;
  type: string;
  kind: string | null;
  step: number | null;
  time: number | null;
  message: string | null;
}

/** How far the workbench has read a run's metrics stream. */
export interface IngestStatus {
  byteOffset: number;
  lines: number;
  /** Malformed lines skipped so far. */
  errorCount: number;
  /** Set when the stream was truncated or replaced; reading stopped there. */
  blocked: string | null;
}

/** Everything about one run. */
export interface RunDetail extends RunSummary {
  /** The resolved flags file the trainer reads (`run.flags`). */
  flags: string;
  /** `moetrain config --json` of the run. */
  config: Record<string, unknown>;
  attempts: RunAttempt[];
  checkpoints: CheckpointRecord[];
  events: RunEvent[];
  ingest: IngestStatus;
}

const runId = z.string().regex(/^r-[0-9]{8}-[0-9a-f]{6}$/, 'a run id looks like r-20261129-a1b2c3');
const flagName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a flag name is lower-case words joined by dashes, without the leading --')
  .refine((n) => !['preset', 'flags-file', 'presets-dir', 'json', 'help', 'run-dir', 'run-id', 'resume'].includes(n), {
    message: 'this flag is set by the workbench itself',
  });
const flagValue = z.union([z.string(), exactNumber, z.boolean()]).transform((v) => String(v));
const tags = z.array(z.string().trim().min(1).max(64)).max(32);

const launchRequest = z
  .object({
    nodeId: z.string().min(1).default('local'),
    preset: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a preset is a name from resources/presets'),
    overrides: z.record(flagName, flagValue).default({}),
    name: z.string().trim().min(1).max(200).optional(),
    tags: tags.default([]),
    notes: z.string().max(100_000).default(''),
    /** Evaluate each checkpoint that crosses a multiple of `tokens` training tokens. */
    evalEvery: evalEverySchema.optional(),
  })
  .strict();
const runRequest = z.object({ runId }).strict();
const listRequest = z
  .object({ nodeId: z.string().min(1).optional(), limit: z.number().int().min(1).max(10_000).default(500) })
  .strict();
const updateRequest = z
  .object({
    runId,
    name: z.string().trim().min(1).max(200).optional(),
    tags: tags.optional(),
    notes: z.string().max(100_000).optional(),
  })
  .strict();

const resumeRequest = z
  .object({
    runId,
    /** Resume from this checkpoint of the run (`--resume PATH`); default: the newest complete one. */
    checkpointId: z.number().int().min(1).optional(),
  })
  .strict();

/** Learning-rate decay shapes of the trainer (`--decay-form`). */
export const decayForms = ['exponential', 'linear', 'cosine', '1-sqrt'] as const;

/**
 * "Anneal from here": the fork decays from `--lr` to `minLr` over its whole length, starting at the
 * fork point (`--warmup-steps=0 --decay-start-steps=0`, decay length = run length).
 */
const annealOptions = z
  .object({
    decaySteps: z.number().int().min(1).optional(),
    decayTokens: z.number().int().min(1).optional(),
    form: z.enum(decayForms).default('exponential'),
    minLr: z.number().positive().max(10),
    /** Data mixture of the anneal (JetMoE's phase 2), passed as `--data-mix-phase2` (read from the fork's first step). */
    dataMixPhase2: z.string().min(1).optional(),
  })
  .strict()
  .refine((a) => (a.decaySteps === undefined) !== (a.decayTokens === undefined), {
    message: 'give exactly one of decaySteps and decayTokens',
  });

const forkRequest = z
  .object({
    runId,
    checkpointId: z.number().int().min(1),
    name: z.string().trim().min(1).max(200).optional(),
    /** Flags changed from the parent run's (parent preset and overrides, then these). */
    overrides: z.record(flagName, flagValue).default({}),
    /** Also take over the AdamW moments and update count (`--fork-optimizer`). */
    forkOptimizer: z.boolean().default(true),
    anneal: annealOptions.optional(),
    /** Data mixture of the fork (`--data-mix`), when the node's trainer has that flag. */
    dataMix: z.string().min(1).optional(),
    tags: tags.default([]),
    notes: z.string().max(100_000).default(''),
    evalEvery: evalEverySchema.optional(),
  })
  .strict();

/** Request of `runs:fork`. */
export type ForkRequest = z.input<typeof forkRequest>;
/** Anneal options of `runs:fork`. */
export type AnnealOptions = z.input<typeof annealOptions>;

/** Request of `runs:launch`. */
export type LaunchRequest = z.input<typeof launchRequest>;

/** Channels of the `runs` domain. */
export const runsChannels = {
  /** Validates the configuration with the node's trainer, writes the run directory and starts it detached. */
  'runs:launch': channel<typeof launchRequest, { run: RunSummary; warnings: string[] }>(launchRequest),
  /** SIGTERM to the trainer: it writes a checkpoint and exits 0 (state `stopped`). */
  'runs:stop': channel<typeof runRequest, RunSummary>(runRequest),
  /** SIGKILL to the run's process group: no checkpoint (state `failed`). */
  'runs:kill': channel<typeof runRequest, RunSummary>(runRequest),
  /** Starts a new attempt of a stopped or failed run from a checkpoint (default: the newest complete one). */
  'runs:resume': channel<typeof resumeRequest, RunSummary>(resumeRequest),
  /** A new run (same node) from a checkpoint of this one, with lineage; `anneal` decays from the fork point. */
  'runs:fork': channel<typeof forkRequest, { run: RunSummary; warnings: string[] }>(forkRequest),
  'runs:list': channel<typeof listRequest, RunSummary[]>(listRequest),
  'runs:get': channel<typeof runRequest, RunDetail>(runRequest),
  'runs:update': channel<typeof updateRequest, RunSummary>(updateRequest),
  /** Reads the run directory now (liveness and new metrics) instead of waiting for the next poll. */
  'runs:refresh': channel<typeof runRequest, RunSummary>(runRequest),
} as const;

/** Events of the `runs` domain. */
export const runsEvents = {
  'runs:changed': event<{ run: RunSummary }>(),
} as const;

import { z } from 'zod';
import { channel } from './define.js';
import { exactNumber } from './numbers.js';

/** One entry of the trainer's flag registry (`moetrain flags --json`). */
export interface FlagSpec {
  name: string;
  type: string;
  default: string | number | boolean | null;
  group: string;
  min: number | null;
  minExclusive: boolean;
  max: number | null;
  maxExclusive: boolean;
  choices: string[];
  allowEmpty: boolean;
  help: string;
}

/** A preset the trainer knows (`resources/presets/<name>.flags`), with its leading comment. */
export interface PresetInfo {
  name: string;
  description: string;
  /** The flags the preset sets, by name (values as written in the file). */
  flags: Record<string, string>;
}

/** A configuration problem the trainer reported, naming the flag (when it is about one) and the fix. */
export interface PlanIssue {
  flag: string | null;
  message: string;
  hint: string | null;
}

/** The trainer's estimate of memory per device, in bytes. */
export interface MemoryPlan {
  device: string;
  paramDtype: string;
  weights: number;
  masterWeights: number;
  grads: number;
  optimizer: number;
  activations: number;
  logits: number;
  runtime: number;
  total: number;
}

/** The resolved warmup-stable-decay schedule. */
export interface SchedulePlan {
  peakLr: number;
  minLr: number;
  warmupSteps: number;
  decayStartStep: number;
  decaySteps: number;
  decayForm: string;
  /** The last step of data phase 1 (`--data-mix-phase2`); null without a phase 2. */
  phase2StartStep?: number | null;
}

/** What the trainer computed for a configuration: everything the launch wizard shows. */
export interface PlanOk {
  ok: true;
  /** `plan`: `moetrain plan --json`; `config+params`: an older trainer (no curve, no memory). */
  source: 'plan' | 'config+params';
  preset: string | null;
  /** Every resolved flag, by name. */
  config: Record<string, string | number | boolean>;
  warnings: string[];
  params: { total: number; active: number; activeWithEmbedding: number; embedding: number | null };
  flopsPerToken: number;
  worldSize: number;
  tokensPerStep: number | null;
  totalSteps: number | null;
  totalTokens: number | null;
  totalFlops: number | null;
  schedule: SchedulePlan | null;
  /** [step, learning rate] pairs of the schedule. */
  lrCurve: [number, number][] | null;
  memory: MemoryPlan | null;
}

/** A configuration the trainer refused, with every problem it found. */
export interface PlanRefused {
  ok: false;
  errors: PlanIssue[];
}

/** Answer of `config:plan`. */
export type PlanResult = PlanOk | PlanRefused;

const flagName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a flag name is lower-case words joined by dashes');
const flagValue = z.union([z.string().max(10_000), exactNumber, z.boolean()]).transform((v) => String(v));

const planRequest = z
  .object({
    preset: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a preset is a name from resources/presets'),
    overrides: z.record(flagName, flagValue).default({}),
    /** Ranks training together (GPUs over all nodes); changes tokens per step and the run length. */
    worldSize: z.number().int().min(1).max(1_000_000).default(1),
    curvePoints: z.number().int().min(2).max(5000).default(200),
  })
  .strict();
const emptyRequest = z.object({}).strict();

/** Request of `config:plan`. */
export type PlanRequest = z.input<typeof planRequest>;

/** Channels of the `config` domain: the trainer's own view of a configuration, before anything runs. */
export const configChannels = {
  /** Resolves, validates and sizes a configuration with the local trainer (`moetrain plan --json`). */
  'config:plan': channel<typeof planRequest, PlanResult>(planRequest),
  /** The trainer's flag registry: types, defaults, ranges, help. */
  'config:flags': channel<typeof emptyRequest, FlagSpec[]>(emptyRequest),
  /** The presets the trainer ships. */
  'config:presets': channel<typeof emptyRequest, PresetInfo[]>(emptyRequest),
} as const;

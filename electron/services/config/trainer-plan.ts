import type { FlagSpec, PlanIssue, PlanOk, PlanResult } from '../../contract/config.js';
import { ServiceError } from '../errors.js';
import { runCommand, type CommandResult } from '../util/process.js';

/** Runs the trainer binary with arguments; injectable so tests can count calls. */
export type TrainerRunner = (args: string[]) => Promise<CommandResult>;

/** A runner for a local binary (plan is LibTorch-free and cheap: it always runs on this machine). */
export function localRunner(binary: string): TrainerRunner {
  return async (args) => {
    try {
      return await runCommand(binary, args, { timeoutMs: 60_000 });
    } catch (err) {
      throw new ServiceError(
        'trainer_missing',
        `The local trainer could not be run (${binary}): ${(err as Error).message}`,
        'Build it with `bash native/scripts/build.sh` (or run `npm start`, which builds it).',
      );
    }
  };
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The trainer's arguments for a preset, overrides and world size. */
export function planArgs(preset: string, overrides: Record<string, string>): string[] {
  return [`--preset=${preset}`, ...Object.entries(overrides).map(([k, v]) => `--${k}=${v}`)];
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError(
      'trainer_failed',
      `\`moetrain ${what}\` printed something that is not JSON.`,
      'Rebuild the trainer.',
    );
  }
}

function issuesFrom(value: unknown): PlanIssue[] {
  if (!Array.isArray(value)) return [];
  return value.map((e: Json) => ({
    flag: str(e.flag),
    message: str(e.message) ?? 'invalid configuration',
    hint: str(e.hint),
  }));
}

/** Parses the trainer's one-line error `moetrain X: error: --flag: problem; fix` into an issue. */
export function issueFromStderr(stderr: string): PlanIssue {
  const line = stderr.trim().split('\n').filter(Boolean).pop() ?? 'the trainer refused the configuration';
  const body = line.replace(/^moetrain [a-z]+: error: /, '');
  const m = /^--([a-z0-9-]+): (.*)$/.exec(body);
  const rest = m ? m[2]! : body;
  const semi = rest.lastIndexOf('; ');
  return {
    flag: m ? m[1]! : null,
    message: semi > 0 ? rest.slice(0, semi) : rest,
    hint: semi > 0 ? rest.slice(semi + 2) : null,
  };
}

/** Turns `moetrain plan --json` output into the contract's shape. */
export function parsePlan(raw: Json): PlanResult {
  if (raw.ok !== true) return { ok: false, errors: issuesFrom(raw.errors) };
  const params = (raw.params ?? {}) as Json;
  const schedule = raw.schedule as Json | undefined;
  const memory = raw.memory as Json | undefined;
  const curve = Array.isArray(raw.lr_curve)
    ? (raw.lr_curve as unknown[])
        .filter((p): p is [number, number] => Array.isArray(p) && p.length === 2)
        .map(([s, lr]) => [Number(s), Number(lr)] as [number, number])
    : null;
  return {
    ok: true,
    source: 'plan',
    preset: str(raw.preset),
    config: (raw.config ?? {}) as PlanOk['config'],
    warnings: Array.isArray(raw.warnings) ? raw.warnings.map(String) : [],
    params: {
      total: num(params.total) ?? 0,
      active: num(params.active) ?? 0,
      activeWithEmbedding: num(params.active_with_embedding) ?? 0,
      embedding: num(params.embedding),
    },
    flopsPerToken: num(raw.flops_per_token) ?? 0,
    worldSize: num(raw.world_size) ?? 1,
    tokensPerStep: num(raw.tokens_per_step),
    totalSteps: num(raw.total_steps),
    totalTokens: num(raw.total_tokens),
    totalFlops: num(raw.total_flops),
    schedule: schedule
      ? {
          peakLr: num(schedule.peak_lr) ?? 0,
          minLr: num(schedule.min_lr) ?? 0,
          warmupSteps: num(schedule.warmup_steps) ?? 0,
          decayStartStep: num(schedule.decay_start_step) ?? 0,
          decaySteps: num(schedule.decay_steps) ?? 0,
          decayForm: str(schedule.decay_form) ?? '',
          phase2StartStep: num(schedule.phase2_start_step),
        }
      : null,
    lrCurve: curve,
    memory: memory
      ? {
          device: str(memory.device) ?? '',
          paramDtype: str(memory.param_dtype) ?? '',
          weights: num(memory.weights) ?? 0,
          masterWeights: num(memory.master_weights) ?? 0,
          grads: num(memory.grads) ?? 0,
          optimizer: num(memory.optimizer) ?? 0,
          activations: num(memory.activations) ?? 0,
          logits: num(memory.logits) ?? 0,
          runtime: num(memory.runtime) ?? 0,
          total: num(memory.total) ?? 0,
        }
      : null,
  };
}

function unknownSubcommand(r: CommandResult): boolean {
  return r.code === 2 && /unknown subcommand/.test(r.stderr);
}

/**
 * Asks the trainer what a configuration means: `moetrain plan --json`, or, from a trainer that has no
 * `plan` yet, `config --json` plus `params --json` (no schedule curve, no memory estimate then).
 */
export async function planWithTrainer(
  run: TrainerRunner,
  preset: string,
  overrides: Record<string, string>,
  worldSize: number,
  curvePoints: number,
): Promise<PlanResult> {
  const args = planArgs(preset, overrides);
  const r = await run(['plan', ...args, `--world-size=${worldSize}`, `--curve-points=${curvePoints}`, '--json']);
  if (!unknownSubcommand(r)) {
    if (r.code === 0 || (r.code === 2 && r.stdout.trim().startsWith('{')))
      return parsePlan(parseJson(r.stdout, 'plan') as Json);
    if (r.code === 2) return { ok: false, errors: [issueFromStderr(r.stderr)] };
    throw failed('plan', r);
  }
  const config = await run(['config', ...args, '--json']);
  if (config.code === 2) return { ok: false, errors: [issueFromStderr(config.stderr)] };
  if (config.code !== 0) throw failed('config', config);
  const params = await run(['params', ...args, '--json']);
  if (params.code === 2) return { ok: false, errors: [issueFromStderr(params.stderr)] };
  if (params.code !== 0) throw failed('params', params);
  const c = parseJson(config.stdout, 'config') as Json;
  const p = parseJson(params.stdout, 'params') as Json;
  const counts = (p.params ?? {}) as Json;
  const flops = (p.flops_per_token ?? {}) as Json;
  const flags = (c.flags ?? {}) as PlanOk['config'];
  const maxSteps = num(flags['max-steps']);
  return {
    ok: true,
    source: 'config+params',
    preset: str(c.preset),
    config: flags,
    warnings: [],
    params: {
      total: num(counts.total) ?? 0,
      active: num(counts.active_non_embedding) ?? 0,
      activeWithEmbedding: num(counts.active_with_embedding) ?? 0,
      embedding: num(counts.embedding),
    },
    flopsPerToken: num(flops.total) ?? 0,
    worldSize,
    tokensPerStep: null,
    totalSteps: maxSteps && maxSteps > 0 ? maxSteps : null,
    totalTokens: null,
    totalFlops: null,
    schedule: null,
    lrCurve: null,
    memory: null,
  };
}

function failed(what: string, r: CommandResult): ServiceError {
  const tail = r.stderr.trim().split('\n').slice(-3).join(' ');
  return new ServiceError(
    'trainer_failed',
    `\`moetrain ${what}\` failed (exit ${r.code ?? r.signal}): ${tail}`,
    'Rebuild the trainer.',
  );
}

/** The trainer's flag registry; empty from a trainer without `moetrain flags`. */
export async function flagsWithTrainer(run: TrainerRunner): Promise<FlagSpec[]> {
  const r = await run(['flags', '--json']);
  if (unknownSubcommand(r)) return [];
  if (r.code !== 0) throw failed('flags', r);
  const list = parseJson(r.stdout, 'flags') as Json[];
  if (!Array.isArray(list)) return [];
  return list.map((f) => ({
    name: String(f.name),
    type: String(f.type),
    default: (f.default ?? null) as FlagSpec['default'],
    group: String(f.group ?? ''),
    min: num(f.min),
    minExclusive: f.min_exclusive === true,
    max: num(f.max),
    maxExclusive: f.max_exclusive === true,
    choices: Array.isArray(f.choices) ? f.choices.map(String) : [],
    allowEmpty: f.allow_empty === true,
    help: String(f.help ?? ''),
  }));
}

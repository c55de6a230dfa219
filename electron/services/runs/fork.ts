import type { AnnealOptions } from '../../contract/runs.js';
import { ServiceError } from '../errors.js';
import type { NodeHandle } from '../nodes/node.js';

/** Parsed anneal options (defaults applied). */
export type ParsedAnneal = Omit<AnnealOptions, 'form'> & { form: NonNullable<AnnealOptions['form']> };

/**
 * The trainer flags of "anneal from here" (docs/trainer-cli.md, "Learning-rate schedule"): no warmup,
 * the decay starts at step 0 of the fork and lasts the whole fork, from `--lr` down to `minLr`. Every
 * schedule flag the preset or the parent's overrides may set in the other unit is neutralised, so the
 * trainer's "one unit per length" checks hold.
 */
export function annealFlags(a: ParsedAnneal): Record<string, string> {
  const common = { 'warmup-steps': '0', 'warmup-tokens': '0', 'decay-form': a.form, 'min-lr': String(a.minLr) };
  if (a.decaySteps !== undefined) {
    const n = String(a.decaySteps);
    return {
      ...common,
      'max-steps': n,
      'train-tokens': '0',
      'decay-steps': n,
      'decay-tokens': '0',
      'decay-start-steps': '0',
      'decay-start-tokens': 'auto',
    };
  }
  const n = String(a.decayTokens);
  return {
    ...common,
    'max-steps': '0',
    'train-tokens': n,
    'decay-steps': '0',
    'decay-tokens': n,
    'decay-start-steps': 'auto',
    'decay-start-tokens': '0',
  };
}

/** The flag names the node's trainer knows (`moetrain flags --json`). */
export async function trainerFlagNames(node: NodeHandle, binary: string): Promise<Set<string>> {
  const r = await node.exec([binary, 'flags', '--json'], { timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new ServiceError(
      'trainer_failed',
      `\`moetrain flags --json\` failed on the node: ${r.stderr.toString('utf8').trim()}`,
      'Deploy the trainer to the node again.',
    );
  }
  const list = JSON.parse(r.stdout.toString('utf8')) as { name: string }[];
  return new Set(list.map((f) => f.name.replace(/^--/, '')));
}

/**
 * Data-mixture flags for a fork, only when the deployed trainer has them: the fork's `--data-mix`,
 * and an anneal's phase-2 mixture as `--data-mix-phase2` (its phase-2 start defaults to the decay
 * start, which an anneal puts at step 0, so every step of the fork reads it).
 */
export function dataMixFlags(
  known: Set<string>,
  dataMix: string | undefined,
  phase2: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [flag, value, what] of [
    ['data-mix', dataMix, 'data mixture'],
    ['data-mix-phase2', phase2, "anneal's phase-2 mixture"],
  ] as const) {
    if (value === undefined) continue;
    if (!known.has(flag)) {
      throw new ServiceError(
        'invalid_request',
        `The trainer deployed on this node has no --${flag} flag, so the ${what} cannot be applied.`,
        'Deploy a trainer with data mixtures to the node, or fork without a mixture.',
      );
    }
    out[flag] = value;
  }
  return out;
}

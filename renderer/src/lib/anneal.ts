import type { RunSummary } from '../../../electron/contract/runs.js';

/** The anneal settings of the fork dialog: a decay over the fork's whole length, in steps or tokens. */
export interface AnnealForm {
  unit: 'steps' | 'tokens';
  length: number;
  form: string;
  minLr: number;
}

/**
 * The schedule flags an anneal gives the fork (no warmup; the decay starts at the fork's first step and
 * lasts its whole length), for asking the trainer's plan what the curve will be. Flags of the other
 * length unit are neutralised so the trainer's "one unit per length" checks hold.
 */
export function annealPlanFlags(a: AnnealForm): Record<string, string> {
  const n = String(a.length);
  const common = { 'warmup-steps': '0', 'warmup-tokens': '0', 'decay-form': a.form, 'min-lr': String(a.minLr) };
  if (a.unit === 'steps') {
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

/** How a run came to be: a fresh launch, a fork of another run, or an anneal (a fork that decays from its first step). */
export type Lineage =
  { kind: 'launched' } | { kind: 'forked' | 'annealed'; parentRunId: string; parentCheckpointId: number | null };

/** The lineage of a run from its parent fields and the schedule flags it was started with. */
export function lineageOf(run: Pick<RunSummary, 'parentRunId' | 'parentCheckpointId' | 'overrides'>): Lineage {
  if (!run.parentRunId) return { kind: 'launched' };
  const o = run.overrides;
  const decaysFromStart = o['decay-start-steps'] === '0' || o['decay-start-tokens'] === '0';
  const noWarmup = (o['warmup-steps'] ?? '0') === '0' && (o['warmup-tokens'] ?? '0') === '0';
  return {
    kind: decaysFromStart && noWarmup ? 'annealed' : 'forked',
    parentRunId: run.parentRunId,
    parentCheckpointId: run.parentCheckpointId,
  };
}

/** Parses a length such as 2000, 10k, 1.5M, 10B or 1.25T (the trainer's own suffixes); null when invalid. */
export function parseLength(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT]?)\s*$/.exec(text);
  if (!m) return null;
  const scale: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 };
  const n = Number(m[1]) * scale[m[2]!.toLowerCase()]!;
  return Number.isFinite(n) && n >= 1 && Number.isInteger(Math.round(n)) ? Math.round(n) : null;
}

import type { LaunchRequest } from '../../../../electron/contract/runs.js';

/** The evaluate-every fields as typed. */
export interface EvalEveryForm {
  /** Tokens between evaluations; empty = off. */
  tokens: string;
  kind: 'native' | 'lm-eval';
  /** lm-eval task names, comma or space separated. */
  tasks: string;
  /** Validation tokens (native) or documents per task (lm-eval); empty = the default. */
  limit: string;
}

/** The form when nothing is scheduled. */
export const evalEveryOff: EvalEveryForm = { tokens: '', kind: 'native', tasks: '', limit: '' };

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, B: 1e9, G: 1e9, T: 1e12 };

/** Parses a token count with an optional k/M/B/T suffix ("50M"); null when it is not a positive whole number. */
export function parseTokenCount(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kKMBGT]?)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) * SUFFIX[m[2]!]!;
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/** The launch request's `evalEvery`, or the problem with the fields (naming the fix). */
export function evalEveryRequest(f: EvalEveryForm): {
  value: LaunchRequest['evalEvery'] | undefined;
  error: string | null;
} {
  if (!f.tokens.trim()) return { value: undefined, error: null };
  const tokens = parseTokenCount(f.tokens);
  if (tokens === null)
    return {
      value: undefined,
      error: `“${f.tokens}” is not a token count; write a positive whole number such as 200000 or 50M.`,
    };
  let limit: number | undefined;
  if (f.limit.trim()) {
    const n = Number(f.limit);
    if (!Number.isSafeInteger(n) || n < 1)
      return {
        value: undefined,
        error: `Limit “${f.limit}” must be a positive whole number, or empty for the default.`,
      };
    limit = n;
  }
  const tasks = f.tasks.split(/[\s,]+/).filter(Boolean);
  if (f.kind === 'lm-eval' && tasks.length === 0)
    return { value: undefined, error: 'lm-eval needs at least one task; name one such as arc_easy.' };
  const bad = tasks.find((t) => !/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(t));
  if (f.kind === 'lm-eval' && bad)
    return {
      value: undefined,
      error: `“${bad}” is not an lm-eval task name; use names such as arc_easy or hellaswag.`,
    };
  return {
    value: {
      tokens,
      kind: f.kind,
      tasks: f.kind === 'lm-eval' ? tasks : [],
      ...(limit !== undefined ? { limit } : {}),
    },
    error: null,
  };
}

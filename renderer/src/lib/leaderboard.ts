import type { EvalReference, LeaderboardColumn, LeaderboardRow } from '../../../electron/contract/evals.js';

/** The key of a leaderboard column in a row's scores. */
export function columnKey(c: Pick<LeaderboardColumn, 'task' | 'metric'>): string {
  return `${c.task}/${c.metric}`;
}

/** What the leaderboard is sorted by: a fixed column or a score column's key. */
export type LeaderboardSort = 'run' | 'step' | 'tokens' | string;

/**
 * Rows sorted by a column. Missing scores always go last, whatever the direction, so "best first"
 * never puts an unevaluated checkpoint on top; ties keep the run, then the step, in order.
 */
export function sortLeaderboard(
  rows: readonly LeaderboardRow[],
  by: LeaderboardSort,
  descending: boolean,
): LeaderboardRow[] {
  const value = (r: LeaderboardRow): number | string | null => {
    if (by === 'run') return r.runName.toLowerCase();
    if (by === 'step') return r.step;
    if (by === 'tokens') return r.tokens;
    const v = r.scores[by];
    return v === undefined || v === null || Number.isNaN(v) ? null : v;
  };
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null && vb !== null) return 1;
    if (vb === null && va !== null) return -1;
    if (va !== null && vb !== null && va !== vb) return (va < vb ? -1 : 1) * sign;
    return a.runName.localeCompare(b.runName) || a.step - b.step;
  });
}

/** The direction that puts the best first for a column (accuracy high, loss low). */
export function bestFirstDescending(columns: readonly LeaderboardColumn[], by: LeaderboardSort): boolean {
  if (by === 'run') return false;
  if (by === 'step' || by === 'tokens') return true;
  return columns.find((c) => columnKey(c) === by)?.higherIsBetter ?? true;
}

/** The checkpoint with the best score of a column, or null when none has one. */
export function bestInColumn(rows: readonly LeaderboardRow[], column: LeaderboardColumn): number | null {
  let best: LeaderboardRow | null = null;
  const key = columnKey(column);
  for (const r of rows) {
    const v = r.scores[key];
    if (v === undefined || v === null || Number.isNaN(v)) continue;
    const b = best?.scores[key];
    if (b === undefined || b === null || (column.higherIsBetter ? v > b : v < b)) best = r;
  }
  return best?.checkpointId ?? null;
}

/** Published scores for one (task, metric): one labelled value per reference model that reports it. */
export function referenceLines(
  reference: EvalReference,
  task: string,
  metric: string,
  models?: readonly string[],
): { model: string; label: string; value: number }[] {
  const bench = reference.benchmarks.find((b) => b.task === task && b.metric === metric);
  if (!bench) return [];
  return reference.models
    .filter((m) => !models || models.includes(m.model))
    .flatMap((m) => {
      const v = m.scores[bench.key];
      return v === undefined
        ? []
        : [{ model: m.model, label: `${m.model} ${bench.label} (${bench.fewshot}-shot)`, value: v }];
    });
}

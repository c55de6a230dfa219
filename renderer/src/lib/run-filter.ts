import type { HistoryRun } from '../../../electron/contract/history.js';
import type { RunState } from '../../../electron/contract/runs.js';

/** What the history table is filtered and sorted by. */
export interface RunQuery {
  /** Free text: words must all match name, id, tags, notes, preset, node or a config `key=value`. */
  text: string;
  states: RunState[];
  nodeId: string | null;
  preset: string | null;
  /** Created on or after / before these Unix times. */
  from: number | null;
  to: number | null;
  sort: SortKey;
  descending: boolean;
}

/** Columns the table sorts by. */
export type SortKey = 'created' | 'name' | 'state' | 'loss' | 'valLoss' | 'tokens' | 'step';

/** The query that shows everything, newest first. */
export const defaultQuery: RunQuery = {
  text: '',
  states: [],
  nodeId: null,
  preset: null,
  from: null,
  to: null,
  sort: 'created',
  descending: true,
};

/** True when one search word matches a run; `key=value` and `key:value` words match config values. */
export function matchesWord(run: HistoryRun, word: string, nodeName: string): boolean {
  const w = word.toLowerCase();
  const kv = /^([a-z0-9][a-z0-9-]*)[=:](.+)$/.exec(w);
  if (kv) {
    const [, key, want] = kv as unknown as [string, string, string];
    if (key === 'tag') return run.tags.some((t) => t.toLowerCase() === want);
    if (key === 'state') return run.state === want;
    if (key === 'node') return nodeName.toLowerCase().includes(want) || run.nodeId.toLowerCase() === want;
    if (key === 'preset') return (run.preset ?? '').toLowerCase() === want;
    if (Object.prototype.hasOwnProperty.call(run.config, key)) {
      const have = run.config[key];
      const a = Number(want);
      if (typeof have === 'number' && !Number.isNaN(a)) return have === a;
      return String(have).toLowerCase() === want;
    }
    return false;
  }
  const haystack = [run.name, run.id, run.preset ?? '', nodeName, run.notes, ...run.tags].join('\n').toLowerCase();
  if (haystack.includes(w)) return true;
  // A bare word also finds config values ("bfloat16", "cosine") and flag names ("fork-from").
  return Object.entries(run.config).some(
    ([k, v]) => k === w || (v !== null && v !== '' && String(v).toLowerCase() === w),
  );
}

function sortValue(run: HistoryRun, key: SortKey): number | string | null {
  switch (key) {
    case 'created':
      return run.createdAt;
    case 'name':
      return run.name.toLowerCase();
    case 'state':
      return run.state;
    case 'loss':
      return run.lastLoss;
    case 'valLoss':
      return run.lastValLoss;
    case 'tokens':
      return run.tokens;
    case 'step':
      return run.lastStep;
  }
}

/** Filters and sorts runs; runs without a value for the sort key go last either way. */
export function filterRuns(
  runs: readonly HistoryRun[],
  q: RunQuery,
  nodeNames: Record<string, string> = {},
): HistoryRun[] {
  const words = q.text.trim().split(/\s+/).filter(Boolean);
  const out = runs.filter((r) => {
    if (q.states.length && !q.states.includes(r.state)) return false;
    if (q.nodeId && r.nodeId !== q.nodeId) return false;
    if (q.preset && r.preset !== q.preset) return false;
    if (q.from !== null && r.createdAt < q.from) return false;
    if (q.to !== null && r.createdAt >= q.to) return false;
    const nodeName = nodeNames[r.nodeId] ?? r.nodeId;
    return words.every((w) => matchesWord(r, w, nodeName));
  });
  const dir = q.descending ? -1 : 1;
  return out.sort((a, b) => {
    const va = sortValue(a, q.sort);
    const vb = sortValue(b, q.sort);
    if (va === null && vb === null) return b.createdAt - a.createdAt;
    if (va === null) return 1;
    if (vb === null) return -1;
    if (va < vb) return -dir;
    if (va > vb) return dir;
    return b.createdAt - a.createdAt;
  });
}

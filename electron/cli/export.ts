import { WorkbenchError } from '../contract/errors.js';
import type { CliClient } from './client.js';

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A wide CSV of a run's metrics: one row per step (per attempt when archived points are included),
 * columns step, attempt, tokens, time, then one per series. Empty cell = no point; `nan` = the
 * trainer logged a non-finite value.
 */
export async function exportCsv(
  c: CliClient,
  runId: string,
  names: string[] | null,
  includeArchived: boolean,
): Promise<string> {
  const available = (await c.call('metrics:list', { runId })).map((s) => s.name);
  const wanted = names ?? available;
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new WorkbenchError({
      code: 'not_found',
      message: `Run ${runId} has no series ${unknown.join(', ')}.`,
      hint: `It has: ${available.join(', ') || 'none yet'}.`,
    });
  }
  const rows = new Map<
    string,
    { step: number; attempt: number; tokens: number | null; time: number | null; values: (number | null | undefined)[] }
  >();
  for (const [i, series] of wanted.entries()) {
    const data = await c.call('metrics:series', { runId, series, maxPoints: 10_000_000, includeArchived });
    if (data.mode !== 'raw') throw new Error('a full export returned buckets');
    for (const p of data.points) {
      const key = includeArchived ? `${p.step}/${p.attempt}` : String(p.step);
      let row = rows.get(key);
      if (!row) {
        row = { step: p.step, attempt: p.attempt, tokens: p.tokens, time: p.time, values: [] };
        rows.set(key, row);
      }
      row.tokens ??= p.tokens;
      row.values[i] = p.value;
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.step - b.step || a.attempt - b.attempt);
  const lines = [['step', 'attempt', 'tokens', 'time', ...wanted].map(csvField).join(',')];
  for (const r of sorted) {
    const values = wanted.map((_, i) =>
      r.values[i] === undefined ? '' : r.values[i] === null ? 'nan' : csvField(r.values[i]!),
    );
    lines.push([r.step, r.attempt, r.tokens, r.time].map(csvField).concat(values).join(','));
  }
  return lines.join('\n') + '\n';
}

import { readFileSync } from 'node:fs';

/** One expected point: what a complete line of metrics.jsonl must become in the store. */
export interface ExpectedPoint {
  attempt: number;
  series: string;
  step: number;
  value: number | null;
  archived: boolean;
}

/**
 * Computes, straight from the file and independently of the ingester, the points its complete lines
 * define (docs/metrics-schema.md): step -> train/<key>, val -> val/<key> and val/by_domain/<d>, with
 * an attempt's points past a later attempt's resume step archived.
 */
export function expectedPoints(path: string): ExpectedPoint[] {
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const points: ExpectedPoint[] = [];
  let attempt = 1;
  for (const line of complete.split('\n')) {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof rec !== 'object' || rec === null) continue;
    if (rec.type === 'header' && typeof rec.attempt === 'number') {
      attempt = rec.attempt;
      const resume = (rec.resume as { step: number } | null)?.step ?? 0;
      for (const p of points) if (p.attempt < attempt && p.step > resume) p.archived = true;
    }
    if ((rec.type === 'step' || rec.type === 'val') && Number.isInteger(rec.step)) {
      const prefix = rec.type === 'step' ? 'train' : 'val';
      for (const [key, v] of Object.entries(rec)) {
        if (['type', 'step', 'tokens', 'time'].includes(key)) continue;
        const entries: [string, unknown][] =
          v !== null && typeof v === 'object' ? Object.entries(v).map(([k, x]) => [`${key}/${k}`, x]) : [[key, v]];
        for (const [name, x] of entries) {
          if (typeof x !== 'number' && typeof x !== 'boolean' && x !== null) continue;
          const value = typeof x === 'boolean' ? (x ? 1 : 0) : x;
          points.push({ attempt, series: `${prefix}/${name}`, step: rec.step as number, value, archived: false });
        }
      }
    }
  }
  return points;
}

/** A stable text key of a point, for set comparisons. */
export function pointKey(p: { attempt: number; series: string; step: number }): string {
  return `${p.attempt}|${p.series}|${p.step}`;
}

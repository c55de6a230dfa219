/** One entry of a data mixture: a synthetic domain or a token-file path, and its weight as typed. */
export interface MixRow {
  kind: 'synthetic' | 'file';
  /** The domain name (synthetic) or the file path (file). */
  source: string;
  weight: string;
}

/** The domains of the built-in synthetic corpus (docs/trainer-cli.md, "Data"); the trainer checks them. */
export const syntheticDomains = ['arithmetic', 'dyck', 'copy', 'grammar'] as const;

/** The trainer's source name of a row: `synthetic:<domain>` or the path. */
export function sourceName(row: MixRow): string {
  return row.kind === 'synthetic' ? `synthetic:${row.source}` : row.source;
}

/** Builds the `--data-mix` value `src=weight,...`; rows are written as typed so the trainer judges them. */
export function buildMix(rows: MixRow[]): string {
  return rows.map((r) => `${sourceName(r)}=${r.weight.trim()}`).join(',');
}

/** Parses a `--data-mix` value back into rows (the last `=` of an entry separates the weight). */
export function parseMix(value: string): MixRow[] {
  if (!value.trim()) return [];
  return value.split(',').map((entry) => {
    const eq = entry.lastIndexOf('=');
    const source = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const weight = eq < 0 ? '' : entry.slice(eq + 1).trim();
    return source.startsWith('synthetic:')
      ? { kind: 'synthetic', source: source.slice('synthetic:'.length), weight }
      : { kind: 'file', source, weight };
  });
}

/** Each row's share of the total weight (0..1), or null where a weight is not a positive number. */
export function shares(rows: MixRow[]): (number | null)[] {
  const w = rows.map((r) => {
    const n = Number(r.weight);
    return r.weight.trim() !== '' && Number.isFinite(n) && n > 0 ? n : null;
  });
  const total = w.reduce<number>((s, x) => s + (x ?? 0), 0);
  return w.map((x) => (x === null || total <= 0 ? null : x / total));
}

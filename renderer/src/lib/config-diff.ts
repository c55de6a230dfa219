/** One configuration key whose value is not the same in every compared run. */
export interface DiffRow {
  key: string;
  /** The value in each run, in the order the runs were given; undefined = the run has no such key. */
  values: (string | number | boolean | null | undefined)[];
}

/** Compares two values the way a person reads a config: 3e-3 and 0.003 are the same number. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  const na = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : typeof b === 'string' && b.trim() !== '' ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na === nb;
  return String(a) === String(b);
}

/**
 * The keys whose values differ between configurations (a key missing in some run counts as differing),
 * sorted by name; keys equal everywhere are left out. With fewer than two configurations nothing differs.
 */
export function diffConfigs(configs: readonly Record<string, unknown>[], ignore: readonly string[] = []): DiffRow[] {
  if (configs.length < 2) return [];
  const skip = new Set(ignore);
  const keys = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) if (!skip.has(k)) keys.add(k);
  const rows: DiffRow[] = [];
  for (const key of [...keys].sort()) {
    const values = configs.map((c) =>
      Object.prototype.hasOwnProperty.call(c, key) ? (c[key] as DiffRow['values'][number]) : undefined,
    );
    if (values.every((v) => same(v, values[0]))) continue;
    rows.push({ key, values });
  }
  return rows;
}

import { InvalidArgumentError } from 'commander';

/** `--set name=value` (repeatable) into one object; a leading `--` on the name is dropped. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('write --set name=value, e.g. --set max-steps=200');
  return { ...previous, [value.slice(0, eq).replace(/^--/, '')]: value.slice(eq + 1) };
}

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A positive whole number. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
}

/** Integers with the trainer's suffixes: 4096, 16k, 10M, 1.25B. */
export function count(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKMGBT]?)$/.exec(value.trim());
  const scale: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, B: 1e9, T: 1e12 };
  const n = m ? Number(m[1]) * (scale[m[2] ?? ''] ?? 1) : NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('a positive whole number, e.g. 5000, 16k, 10M or 1.25B');
  return n;
}

/** A comma-separated list, blanks dropped. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

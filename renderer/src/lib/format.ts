/** Number formatting for people: short, consistent, and never "NaN". */

const dash = '—';

/** 1939584 → "1.94M"; 950 → "950"; 12_300_000_000 → "12.3B". */
export function formatCount(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) {
    if (abs >= scale) return `${trimZeros((n / scale).toPrecision(digits))}${unit}`;
  }
  return Number.isInteger(n) ? String(n) : trimZeros(n.toPrecision(digits));
}

/** Exact integer with thousands separators: 1939584 → "1,939,584". */
export function formatInteger(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  return Math.round(n).toLocaleString('en-US');
}

/** Binary sizes: 1350666240 → "1.26 GiB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const text = i === 0 ? String(Math.round(v)) : trimZeros(v.toPrecision(3));
  return `${n < 0 ? '-' : ''}${text} ${units[i]}`;
}

/** FLOPs with SI prefixes: 6525696 → "6.53 MFLOP". */
export function formatFlops(n: number | null | undefined, unit = 'FLOP'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  const prefixes: [number, string][] = [
    [1e24, 'Y'],
    [1e21, 'Z'],
    [1e18, 'E'],
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, p] of prefixes) {
    if (Math.abs(n) >= scale) return `${trimZeros((n / scale).toPrecision(3))} ${p}${unit}`;
  }
  return `${trimZeros(n.toPrecision(3))} ${unit}`;
}

/** Seconds as "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return dash;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  return `${days} d ${hours % 24} h`;
}

/** US dollars: 0.5 → "$0.50", 1234.5 → "$1,235", 0.004 → "<$0.01". */
export function formatMoney(dollars: number | null | undefined): string {
  if (dollars === null || dollars === undefined || !Number.isFinite(dollars)) return dash;
  if (dollars === 0) return '$0';
  if (dollars > 0 && dollars < 0.01) return '<$0.01';
  if (Math.abs(dollars) >= 1000) return `$${Math.round(dollars).toLocaleString('en-US')}`;
  return `$${dollars.toFixed(2)}`;
}

/** A metric value with a sensible number of significant digits; tiny and huge values in e-notation. */
export function formatValue(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return dash;
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e');
  return trimZeros(v.toPrecision(digits));
}

/** A percentage: 0.0213 → "2.13%". */
export function formatPercent(fraction: number | null | undefined, digits = 3): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return dash;
  const pct = fraction * 100;
  // toPrecision switches to exponent form once the integer part has more digits than asked for (100 -> "1.0e+2").
  return `${Math.abs(pct) >= 10 ** digits ? pct.toFixed(0) : trimZeros(pct.toPrecision(digits))}%`;
}

/** Unix seconds as a local date and time, "2026-11-29 14:05". */
export function formatDateTime(unixSeconds: number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined || !Number.isFinite(unixSeconds)) return dash;
  const d = new Date(unixSeconds * 1000);
  const pad = (x: number): string => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "3 min ago", "yesterday"-style age of a Unix time relative to `now` (Unix seconds). */
export function formatAge(unixSeconds: number | null | undefined, now: number): string {
  if (unixSeconds === null || unixSeconds === undefined || !Number.isFinite(unixSeconds)) return dash;
  const s = Math.max(0, now - unixSeconds);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** The first sentence of a help text, at most about 90 characters (the whole text goes in a tooltip). */
export function firstSentence(text: string): string {
  // A sentence ends at . or ; before a capital, a flag or the end (so "e.g. another" does not end one).
  const m = /^(.+?[.;])(?=\s+[A-Z`-]|\s*$)/.exec(text);
  const first = m ? m[1]! : text;
  return first.length > 90 ? `${first.slice(0, 88).replace(/\s+\S*$/, '')}…` : first;
}

function trimZeros(text: string): string {
  if (text.includes('e')) return text;
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

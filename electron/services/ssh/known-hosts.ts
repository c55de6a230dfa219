/**
 * OpenSSH known_hosts: parsing and lookup (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", hostfile.c).
 *
 * A line is `[@marker] patterns keytype base64 [comment]`. Patterns are a comma list with `*`, `?` and
 * `!` negation, or one hashed name `|1|salt|hmac` (HMAC-SHA1 of the name keyed by the salt). A host on a
 * port other than 22 is written `[host]:port`. `@revoked` marks a key that must never be accepted;
 * `@cert-authority` lines are not supported and never match (so a CA line can never grant trust).
 * Malformed lines are skipped with a warning, as OpenSSH does.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  keyType: string;
  /** The public key blob. */
  key: Buffer;
  /** `file:line`, for messages. */
  source: string;
}

/** A parsed file: its entries and the lines that were skipped. */
export interface KnownHostsFile {
  entries: KnownHostsEntry[];
  warnings: string[];
}

/** The key type named inside an SSH public key blob (its first string field), or undefined. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** The OpenSSH SHA-256 fingerprint of a public key blob: `SHA256:` + unpadded base64. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

const base64Re = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses known_hosts text (LF or CRLF, final newline optional); `name` labels warnings and sources. */
export function parseKnownHosts(text: string, name: string): KnownHostsFile {
  const entries: KnownHostsEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const source = `${name}:${index + 1}`;
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        warnings.push(`${source}: unknown marker ${m}; line skipped`);
        return;
      }
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) {
      warnings.push(`${source}: expected "hosts keytype key"; line skipped`);
      return;
    }
    if (!base64Re.test(b64)) {
      warnings.push(`${source}: the key is not base64; line skipped`);
      return;
    }
    const key = Buffer.from(b64, 'base64');
    const inner = blobKeyType(key);
    if (inner === undefined) {
      warnings.push(`${source}: the key is not an SSH public key; line skipped`);
      return;
    }
    // Certificates and hosts recorded under a key type that contradicts the blob are not trusted.
    if (inner !== keyType) {
      warnings.push(`${source}: key type ${keyType} does not match the key (${inner}); line skipped`);
      return;
    }
    entries.push({ marker, hosts, keyType, key, source });
  });
  return { entries, warnings };
}

/** OpenSSH wildcard match (`*` any run, `?` one character), case-insensitive, whole string. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  // Iterative matcher with backtracking to the last `*`; no regular expressions built from input.
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const expected = Buffer.from(parts[3] ?? '', 'base64');
  if (salt.length === 0 || expected.length !== 20) return false;
  const actual = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(actual, expected);
}

/**
 * True when an entry's host field matches `name` (already in `host` or `[host]:port` form):
 * a negated pattern that matches wins over any positive one.
 */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let positive = false;
  for (const pattern of field.split(',')) {
    if (pattern === '') continue;
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      positive = true;
    }
  }
  return positive;
}

/** The outcome of looking a presented host key up. */
export type HostKeyCheck =
  | { status: 'trusted'; source: string }
  | { status: 'revoked'; source: string }
  | { status: 'changed'; source: string }
  | { status: 'unknown'; otherKnownKeyTypes: string[] };

/**
 * Checks a presented key for `name` against entries (from all files, in order), like OpenSSH:
 * a matching @revoked key refuses; an exact match trusts; otherwise a recorded key of the same type is
 * a changed key; otherwise the host is unknown for this key type. @cert-authority lines never match.
 */
export function checkHostKey(entries: readonly KnownHostsEntry[], name: string, key: Buffer): HostKeyCheck {
  const keyType = blobKeyType(key) ?? '';
  let trusted: string | undefined;
  let changed: string | undefined;
  const other = new Set<string>();
  for (const e of entries) {
    if (e.marker === 'cert-authority') continue;
    if (!hostFieldMatches(e.hosts, name)) continue;
    const same = e.key.equals(key);
    if (e.marker === 'revoked') {
      if (same) return { status: 'revoked', source: e.source };
      continue;
    }
    if (same) trusted ??= e.source;
    else if (e.keyType === keyType) changed ??= e.source;
    else other.add(e.keyType);
  }
  if (trusted) return { status: 'trusted', source: trusted };
  if (changed) return { status: 'changed', source: changed };
  return { status: 'unknown', otherKnownKeyTypes: [...other].sort() };
}

/** Key types recorded (not revoked, not CA) for `name`; used to prefer them during key exchange. */
export function knownKeyTypes(entries: readonly KnownHostsEntry[], name: string): string[] {
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker === undefined && hostFieldMatches(e.hosts, name)) types.add(e.keyType);
  }
  return [...types];
}

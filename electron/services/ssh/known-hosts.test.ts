import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { generateKey } from '../../test-support/ssh-keys.js';
import { checkHostKey, fingerprintSha256, hostFieldMatches, parseKnownHosts, wildcardMatch } from './known-hosts.js';
import { knownHostsName } from './target.js';

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { line: string; blob: Buffer } {
  const pair =
    type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('ed25519');
  const [keyType, b64] = pair.public.split(' ');
  return { line: `${keyType} ${b64}`, blob: Buffer.from(b64 as string, 'base64') };
}

function check(text: string, host: string, port: number, blob: Buffer) {
  return checkHostKey(parseKnownHosts(text, 'kh').entries, knownHostsName(host, port), blob);
}

describe('known_hosts parsing and lookup', () => {
  const a = newKey();
  const b = newKey();
  const e = newKey('ecdsa');

  it('matches plain names, [host]:port and comma lists, case-insensitively', () => {
    const text = `gpu1.lab,10.0.0.5 ${a.line}\n[gpu2.lab]:2222 ${b.line} a comment\n`;
    expect(check(text, 'gpu1.lab', 22, a.blob)).toEqual({ status: 'trusted', source: 'kh:1' });
    expect(check(text, 'GPU1.Lab', 22, a.blob).status).toBe('trusted');
    expect(check(text, '10.0.0.5', 22, a.blob).status).toBe('trusted');
    // gpu1.lab on another port is a different host
    expect(check(text, 'gpu1.lab', 2222, a.blob).status).toBe('unknown');
    expect(check(text, 'gpu2.lab', 2222, b.blob)).toEqual({ status: 'trusted', source: 'kh:2' });
    expect(check(text, 'gpu2.lab', 22, b.blob).status).toBe('unknown');
  });

  it('reads hashed entries written by ssh-keygen -H (port 22 and [h]:2222)', () => {
    const dir = tempDir();
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `gpu1.lab ${a.line}\n[gpu2.lab]:2222 ${b.line}\n`);
    const res = spawnSync('ssh-keygen', ['-H', '-f', file], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    const hashed = readFileSync(file, 'utf8');
    expect(hashed).not.toContain('gpu1.lab');
    expect(hashed.split('\n')[0]).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    expect(check(hashed, 'gpu1.lab', 22, a.blob).status).toBe('trusted');
    expect(check(hashed, 'gpu2.lab', 2222, b.blob).status).toBe('trusted');
    expect(check(hashed, 'gpu3.lab', 22, a.blob).status).toBe('unknown');
    expect(check(hashed, 'gpu1.lab', 22, b.blob).status).toBe('changed');
  });

  it('honours wildcards and negation: a negated match wins over a positive one', () => {
    const text = `*.lab,!bad.lab ${a.line}\ngpu?.cluster ${b.line}\n`;
    expect(check(text, 'good.lab', 22, a.blob).status).toBe('trusted');
    expect(check(text, 'bad.lab', 22, a.blob).status).toBe('unknown');
    expect(check(text, 'gpu7.cluster', 22, b.blob).status).toBe('trusted');
    expect(check(text, 'gpu17.cluster', 22, b.blob).status).toBe('unknown');
    expect(hostFieldMatches('!x,*', 'x')).toBe(false);
    expect(hostFieldMatches('!x', 'y')).toBe(false); // a negation alone grants nothing
    expect(wildcardMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(wildcardMatch('a*b*c', 'axxbyy')).toBe(false);
  });

  it('refuses a @revoked key even where another line trusts it', () => {
    const text = `gpu1.lab ${a.line}\n@revoked * ${a.line}\n`;
    expect(check(text, 'gpu1.lab', 22, a.blob)).toEqual({ status: 'revoked', source: 'kh:2' });
    expect(check(text, 'gpu1.lab', 22, b.blob).status).toBe('changed');
  });

  it('never trusts through @cert-authority lines', () => {
    const text = `@cert-authority * ${a.line}\n`;
    expect(check(text, 'gpu1.lab', 22, a.blob)).toEqual({ status: 'unknown', otherKnownKeyTypes: [] });
  });

  it('reports a changed key of the same type, and other recorded types for a new type', () => {
    const text = `gpu1.lab ${a.line}\ngpu2.lab ${e.line}\n`;
    expect(check(text, 'gpu1.lab', 22, b.blob)).toEqual({ status: 'changed', source: 'kh:1' });
    expect(check(text, 'gpu2.lab', 22, a.blob)).toEqual({
      status: 'unknown',
      otherKnownKeyTypes: ['ecdsa-sha2-nistp256'],
    });
    // A host may have several keys of one type on record (rotation): any exact match trusts.
    expect(check(`gpu1.lab ${b.line}\ngpu1.lab ${a.line}\n`, 'gpu1.lab', 22, a.blob).status).toBe('trusted');
  });

  it('handles CRLF, a missing final newline, comments, blank and broken lines', () => {
    const text =
      `# comment\r\n\r\n   \r\ngpu1.lab ${a.line}\r\nbroken-line\r\n` +
      `@bogus x ${a.line}\r\ngpu9 ssh-ed25519 !!!\r\ngpu2.lab ${b.line}`;
    const parsed = parseKnownHosts(text, 'kh');
    expect(parsed.entries.map((x) => x.source)).toEqual(['kh:4', 'kh:8']);
    expect(parsed.warnings).toHaveLength(3);
    expect(check(text, 'gpu1.lab', 22, a.blob).status).toBe('trusted');
    expect(check(text, 'gpu2.lab', 22, b.blob).status).toBe('trusted');
  });

  it('skips a line whose key type contradicts its key', () => {
    const [, b64] = a.line.split(' ');
    const parsed = parseKnownHosts(`gpu1.lab ssh-rsa ${b64}\n`, 'kh');
    expect(parsed.entries).toHaveLength(0);
    expect(parsed.warnings[0]).toMatch(/does not match/);
  });

  it('prints fingerprints exactly as ssh-keygen does', () => {
    const key = generateKey(tempDir(), 'fp');
    const blob = Buffer.from(key.publicLine.split(' ')[1] as string, 'base64');
    expect(fingerprintSha256(blob)).toBe(key.fingerprint);
    expect(key.fingerprint).not.toContain('=');
  });

  it('never throws on arbitrary input', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('|1|', '@revoked', '@cert-authority', '[h]:22', ',', '!', '*', '\r\n', '\n', ' ', a.line),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const parsed = parseKnownHosts(text, 'fuzz');
        checkHostKey(parsed.entries, 'gpu1.lab', a.blob);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

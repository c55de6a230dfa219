import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { ServiceError } from '../errors.js';
import { tempDir } from '../../test-support/paths.js';
import { SshError } from './errors.js';
import { HostKeyStore } from './host-keys.js';
import { fingerprintSha256 } from './known-hosts.js';

function newKey(): { line: string; b64: string; blob: Buffer } {
  const [type, b64] = utils.generateKeyPairSync('ed25519').public.split(' ') as [string, string];
  return { line: `${type} ${b64}`, b64, blob: Buffer.from(b64, 'base64') };
}

describe('HostKeyStore', () => {
  it('reads the user file without writing it and records trusted keys in its own file (0600)', async () => {
    const dir = tempDir();
    const userFile = join(dir, 'user_known_hosts');
    const own = join(dir, 'data', 'known_hosts');
    const a = newKey();
    const b = newKey();
    writeFileSync(userFile, `gpu1.lab ${a.line}`); // no final newline
    const before = readFileSync(userFile, 'utf8');
    const store = new HostKeyStore({
      userKnownHostsFiles: [userFile, join(dir, 'missing')],
      workbenchKnownHostsFile: own,
    });

    expect((await store.check('gpu1.lab', 22, a.blob)).status).toBe('trusted');
    expect((await store.check('gpu2.lab', 2200, b.blob)).status).toBe('unknown');
    await store.trust({ host: 'gpu2.lab', port: 2200, key: b.b64, fingerprint: fingerprintSha256(b.blob) });
    expect((await store.check('gpu2.lab', 2200, b.blob)).status).toBe('trusted');
    expect(readFileSync(own, 'utf8')).toBe(`[gpu2.lab]:2200 ${b.line}\n`);
    expect(statSync(own).mode & 0o777).toBe(0o600);
    expect(readFileSync(userFile, 'utf8')).toBe(before);

    // Trusting again adds nothing; a second host appends.
    await store.trust({ host: 'gpu2.lab', port: 2200, key: b.b64 });
    await store.trust({ host: 'gpu3.lab', port: 22, key: a.b64 });
    expect(readFileSync(own, 'utf8').trim().split('\n')).toEqual([`[gpu2.lab]:2200 ${b.line}`, `gpu3.lab ${a.line}`]);
  });

  it('never records a key for a host whose key of that type is on record differently, or revoked', async () => {
    const dir = tempDir();
    const userFile = join(dir, 'known_hosts');
    const a = newKey();
    const b = newKey();
    writeFileSync(userFile, `gpu1.lab ${a.line}\n@revoked gpu9.lab ${b.line}\n`);
    const store = new HostKeyStore({ userKnownHostsFiles: [userFile], workbenchKnownHostsFile: join(dir, 'own') });
    const changed = await store.trust({ host: 'gpu1.lab', port: 22, key: b.b64 }).catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(SshError);
    expect((changed as SshError).code).toBe('ssh_host_key_changed');
    const revoked = await store.trust({ host: 'gpu9.lab', port: 22, key: b.b64 }).catch((e: unknown) => e);
    expect((revoked as SshError).code).toBe('ssh_host_key_changed');
    const wrongFp = await store
      .trust({ host: 'gpu2.lab', port: 22, key: b.b64, fingerprint: fingerprintSha256(a.blob) })
      .catch((e: unknown) => e);
    expect((wrongFp as ServiceError).code).toBe('invalid_request');
    const garbage = await store.trust({ host: 'gpu2.lab', port: 22, key: 'bm90IGEga2V5' }).catch((e: unknown) => e);
    expect((garbage as ServiceError).code).toBe('invalid_request');
  });

  it('refuses to check anything when a known_hosts file exists but cannot be read', async () => {
    const dir = tempDir();
    const a = newKey();
    // Root reads any file whatever its mode, so make it unreadable as a file: a directory in its place.
    const asDir = join(dir, 'known_hosts_dir');
    mkdirSync(asDir);
    const store = new HostKeyStore({ userKnownHostsFiles: [asDir], workbenchKnownHostsFile: join(dir, 'own') });
    const err = await store.check('gpu1.lab', 22, a.blob).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as SshError).code).toBe('storage_failed');
    expect((err as SshError).details).toMatchObject({ kind: 'known_hosts_unreadable', file: asDir, cause: 'EISDIR' });
    expect((err as SshError).message).toContain(asDir);

    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked');
      writeFileSync(locked, `gpu1.lab ${a.line}\n`);
      chmodSync(locked, 0);
      const store2 = new HostKeyStore({ userKnownHostsFiles: [locked], workbenchKnownHostsFile: join(dir, 'own') });
      const err2 = await store2.check('gpu1.lab', 22, a.blob).catch((e: unknown) => e);
      expect((err2 as SshError).details).toMatchObject({ kind: 'known_hosts_unreadable', cause: 'EACCES' });
    }
  });
});

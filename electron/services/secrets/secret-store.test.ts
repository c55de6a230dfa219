import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { passphraseSecretKey } from '../ssh/auth.js';
import { SshConnection } from '../ssh/connection.js';
import { tempDir } from '../../test-support/paths.js';
import { clientSide, recordingPrompter, sshdFor } from '../../test-support/ssh-fixture.js';
import { generateKey } from '../../test-support/ssh-keys.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { EncryptedFileSecretStore, type SecretCipher } from './encrypted-file-store.js';
import { MemorySecretStore, type SecretStore } from './secret-store.js';

/** Stands in for Electron's safeStorage: AES-256-GCM under a key that lives only in memory. */
function testCipher(): SecretCipher {
  const key = randomBytes(32);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(data) {
      const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([d.update(data.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

/** Every file under dir with its bytes. */
function allFiles(dir: string): { path: string; data: Buffer }[] {
  const out: { path: string; data: Buffer }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(path));
    else out.push({ path, data: readFileSync(path) });
  }
  return out;
}

/** Asserts that no file under dir contains the secret in any common encoding. */
function expectNowhere(dir: string, secret: string): void {
  const needles = [
    Buffer.from(secret, 'utf8'),
    Buffer.from(secret, 'utf16le'),
    Buffer.from(Buffer.from(secret).toString('base64').replace(/=+$/, '')),
    Buffer.from(Buffer.from(secret).toString('hex')),
  ];
  for (const file of allFiles(dir)) {
    for (const needle of needles) expect(file.data.includes(needle), `${file.path} contains the secret`).toBe(false);
  }
}

const servers: TestSshd[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('EncryptedFileSecretStore', () => {
  it('persists only ciphertext (0600, atomically replaced) and reads it back in a new process', async () => {
    const dir = tempDir();
    const file = join(dir, 'secrets.bin');
    const cipher = testCipher();
    const store: SecretStore = new EncryptedFileSecretStore(file, cipher);
    expect(store.persistent).toBe(true);
    const secret = 'correct horse battery staple';
    await store.set('ssh/key-passphrase//home/me/.ssh/id_ed25519', secret);
    await store.set('ssh/password/me@gpu1:22', 'hunter2-but-longer');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secrets.bin']);
    expectNowhere(dir, secret);
    expectNowhere(dir, 'hunter2-but-longer');
    expectNowhere(dir, 'id_ed25519'); // even the key names are inside the ciphertext

    const reopened = new EncryptedFileSecretStore(file, cipher);
    expect(await reopened.get('ssh/key-passphrase//home/me/.ssh/id_ed25519')).toBe(secret);
    await reopened.delete('ssh/password/me@gpu1:22');
    expect(await new EncryptedFileSecretStore(file, cipher).get('ssh/password/me@gpu1:22')).toBeUndefined();
  });

  it('refuses a file it cannot decrypt, without quoting it', async () => {
    const dir = tempDir();
    const file = join(dir, 'secrets.bin');
    writeFileSync(file, 'plaintext-passphrase-xyz');
    const store = new EncryptedFileSecretStore(file, testCipher());
    const err = await store.get('k').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'storage_failed' });
    expect(String((err as Error).message)).not.toContain('plaintext-passphrase-xyz');
  });
});

describe('MemorySecretStore', () => {
  it('says why it does not persist, and keeps nothing beyond the process', async () => {
    const store = new MemorySecretStore('No keyring is running.');
    expect(store.persistent).toBe(false);
    expect(store.reason).toBe('No keyring is running.');
    await store.set('a', 'b');
    expect(await store.get('a')).toBe('b');
    expect(await new MemorySecretStore('x').get('a')).toBeUndefined();
  });
});

describe('a passphrase remembered during a real SSH login', () => {
  for (const kind of ['encrypted file', 'memory only'] as const) {
    it(`is not findable in plaintext anywhere in the data directory (${kind})`, async () => {
      const client = clientSide();
      const dataDir = join(client.dir, 'data');
      const sshd = await sshdFor(client);
      servers.push(sshd);
      await client.trust(sshd);
      const passphrase = `pass-${randomBytes(8).toString('hex')}`;
      const key = generateKey(client.dir, 'id_locked', { passphrase });
      sshd.authorize(key.publicLine);
      const secrets: SecretStore =
        kind === 'encrypted file'
          ? new EncryptedFileSecretStore(join(dataDir, 'secrets.bin'), testCipher())
          : new MemorySecretStore('test');
      const conn = new SshConnection(client.target(sshd, { identityFiles: [key.privatePath] }), {
        hostKeys: client.hostKeys,
        secrets,
        prompter: recordingPrompter({ passphrases: [passphrase], remember: true }),
      });
      await conn.connect();
      await conn.close();
      expect(await secrets.get(passphraseSecretKey(key.privatePath))).toBe(passphrase);
      const names = readdirSync(dataDir).sort();
      expect(names).toEqual(kind === 'encrypted file' ? ['known_hosts', 'secrets.bin'] : ['known_hosts']);
      expectNowhere(dataDir, passphrase);
    });
  }
});

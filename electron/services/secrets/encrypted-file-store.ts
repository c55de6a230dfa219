import { readFile } from 'node:fs/promises';
import { ServiceError } from '../errors.js';
import { writeFileAtomicLocal } from './atomic-file.js';
import type { SecretStore } from './secret-store.js';

/** Encrypts and decrypts with a key the OS keeps (Electron's safeStorage in the app). */
export interface SecretCipher {
  encrypt(plaintext: string): Buffer;
  decrypt(ciphertext: Buffer): string;
}

interface Payload {
  version: 1;
  secrets: Record<string, string>;
}

/**
 * Persists secrets as ONE ciphertext file (mode 0600, replaced atomically). The plaintext, including the
 * key names, exists only in memory; the file holds nothing but what the cipher produced.
 */
export class EncryptedFileSecretStore implements SecretStore {
  readonly persistent = true;
  readonly reason = undefined;
  private cache: Map<string, string> | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    /** The ciphertext file, in the data directory. */
    private readonly file: string,
    private readonly cipher: SecretCipher,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.load()).get(key);
  }

  async set(key: string, value: string): Promise<void> {
    await this.update((m) => m.set(key, value));
  }

  async delete(key: string): Promise<void> {
    await this.update((m) => m.delete(key));
  }

  private async update(change: (m: Map<string, string>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const next = new Map(await this.load());
      change(next);
      const payload: Payload = { version: 1, secrets: Object.fromEntries(next) };
      await writeFileAtomicLocal(this.file, this.cipher.encrypt(JSON.stringify(payload)), 0o600);
      this.cache = next;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async load(): Promise<Map<string, string>> {
    if (this.cache) return this.cache;
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cache = new Map();
        return this.cache;
      }
      throw new ServiceError(
        'storage_failed',
        `Cannot read the saved secrets file ${this.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
        'Check the permissions of the data directory.',
      );
    }
    let payload: Payload;
    try {
      payload = JSON.parse(this.cipher.decrypt(data)) as Payload;
      if (payload.version !== 1 || typeof payload.secrets !== 'object' || payload.secrets === null)
        throw new Error('format');
    } catch {
      // Say nothing about the content: it may be partly plaintext if something else wrote it.
      throw new ServiceError(
        'storage_failed',
        `The saved secrets file ${this.file} cannot be decrypted (the OS keychain key may have changed).`,
        'Delete that file to forget the saved passphrases and passwords; you will be asked again.',
      );
    }
    this.cache = new Map(
      Object.entries(payload.secrets).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    return this.cache;
  }
}

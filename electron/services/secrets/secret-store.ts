/**
 * Secrets (key passphrases, passwords) the user asked the workbench to remember. They never go into
 * SQLite, logs, error messages or anything sent to the renderer; only these stores hold them.
 */

/** A place to keep secrets by key. */
export interface SecretStore {
  /** True when secrets survive a restart (an OS keychain-backed encryption is available). */
  readonly persistent: boolean;
  /** Why secrets are not saved, when `persistent` is false (for the UI). */
  readonly reason: string | undefined;
  /** The secret stored under `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Stores (or replaces) a secret. */
  set(key: string, value: string): Promise<void>;
  /** Forgets a secret (no error when absent). */
  delete(key: string): Promise<void>;
}

/** Keeps secrets in memory only, for this process's lifetime; used when nothing can encrypt them on disk. */
export class MemorySecretStore implements SecretStore {
  readonly persistent = false;
  private readonly values = new Map<string, string>();

  constructor(
    /** Why secrets are not saved (shown to the user). */
    readonly reason: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

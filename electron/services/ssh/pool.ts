import { SshConnection, type ConnectionDeps, type ConnectionOptions } from './connection.js';
import { targetKey, type SshTarget } from './target.js';

/** A borrowed connection; release it when done (the pool closes connections nobody holds). */
export interface SshLease {
  readonly connection: SshConnection;
  /** Returns the connection to the pool; further calls do nothing. */
  release(): void;
}

interface Entry {
  connection: SshConnection;
  refs: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Pool options. */
export interface SshPoolOptions extends ConnectionOptions {
  /** How long an unused connection stays open for the next borrower (default 30 s; 0 closes at once). */
  idleCloseMs?: number;
}

/**
 * Lends one shared SshConnection per (host, port, user, jump chain), reference-counted. A connection
 * whose first attempt fails is dropped from the pool, so the next borrower (say, after trusting a host
 * key) starts afresh.
 */
export class SshPool {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly deps: ConnectionDeps,
    private readonly options: SshPoolOptions = {},
  ) {}

  /** Borrows the connection for a target, connecting it if needed; rejects with the connection's SshError. */
  async acquire(target: SshTarget): Promise<SshLease> {
    if (this.closed) throw new Error('The SSH pool is closed.');
    const key = targetKey(target);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { connection: new SshConnection(target, this.deps, this.options), refs: 0, idleTimer: undefined };
      this.entries.set(key, entry);
    }
    const held = entry;
    clearTimeout(held.idleTimer);
    held.refs += 1;
    let released = false;
    const lease: SshLease = {
      connection: held.connection,
      release: () => {
        if (released) return;
        released = true;
        this.release(key, held);
      },
    };
    try {
      await held.connection.connect();
    } catch (err) {
      lease.release();
      throw err;
    }
    return lease;
  }

  /** Number of pooled connections (held or idle). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every connection, held or not. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map((e) => {
        clearTimeout(e.idleTimer);
        return e.connection.close();
      }),
    );
  }

  private release(key: string, entry: Entry): void {
    entry.refs -= 1;
    if (entry.refs > 0) return;
    const drop = () => {
      if (this.entries.get(key) === entry && entry.refs === 0) {
        this.entries.delete(key);
        void entry.connection.close();
      }
    };
    const state = entry.connection.state();
    const idle = this.options.idleCloseMs ?? 30_000;
    if (idle <= 0 || state === 'failed' || state === 'closed') drop();
    else {
      entry.idleTimer = setTimeout(drop, idle);
      entry.idleTimer.unref();
    }
  }
}

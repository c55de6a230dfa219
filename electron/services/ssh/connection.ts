/**
 * One SSH connection to a target (through its jump hosts), with explicit states, keepalive and
 * reconnection. A drop after the connection was ready is a blip until proven otherwise: the state turns
 * `reconnecting` and attempts follow a capped exponential backoff with jitter for a grace period; only
 * then (or at once, for a host key or authentication failure) is it `failed`. Nothing that was running
 * is replayed: commands in flight fail, and callers decide what to re-run.
 */
import type { Client } from 'ssh2';
import type { ConnectionState } from '../nodes/node.js';
import { ServiceError } from '../errors.js';
import { backoffDelay, defaultReconnectPolicy, type ReconnectPolicy } from './backoff.js';
import { isPermanentSshError } from './errors.js';
import { connectHop, forwardThrough, type HopDeps, type HopOptions } from './hop.js';
import { describeTarget, flattenHops, type SshTarget } from './target.js';

export type { ConnectionState } from '../nodes/node.js';

/** Tuning of a connection; every field has a default. */
export interface ConnectionOptions {
  /** Keepalive probe interval (default 10 s); a link silent for interval × (countMax + 1) is dead. */
  keepaliveIntervalMs?: number;
  /** Unanswered probes tolerated (default 3). */
  keepaliveCountMax?: number;
  /** Per hop: TCP connect plus key exchange (default 20 s). */
  connectTimeoutMs?: number;
  /** Per hop: authentication, not counting time at prompts (default 60 s). */
  authTimeoutMs?: number;
  /** Reconnect spacing and grace period. */
  reconnect?: Partial<ReconnectPolicy>;
  /** ssh2 protocol debug lines (no secrets), e.g. for a diagnostics log. */
  debug?: (message: string) => void;
  /**
   * Channels (commands) open at once on this connection; more wait their turn (default 8). OpenSSH
   * refuses sessions beyond its MaxSessions (default 10), and the SFTP channel needs one too.
   */
  maxChannels?: number;
}

/** Everything a connection needs from outside. */
export type ConnectionDeps = HopDeps;

type StateListener = (state: ConnectionState, detail?: string) => void;

/** A lent-out SSH connection with states and reconnection. */
export class SshConnection {
  private current: ConnectionState = 'closed';
  private detail: string | undefined;
  private clients: Client[] = [];
  private gen = 0;
  private establishing: Promise<Client> | undefined;
  private closedByUser = false;
  private lastErr: unknown;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private droppedAt = 0;
  private readonly stateListeners = new Set<StateListener>();
  private readonly dropListeners = new Set<(generation: number) => void>();
  private readonly maxChannels: number;
  private channelsInUse = 0;
  private readonly channelQueue: (() => void)[] = [];
  private readonly policy: ReconnectPolicy;
  private readonly hopOptions: HopOptions;

  constructor(
    readonly target: SshTarget,
    private readonly deps: ConnectionDeps,
    options: ConnectionOptions = {},
  ) {
    this.policy = { ...defaultReconnectPolicy, ...options.reconnect };
    this.maxChannels = Math.max(1, options.maxChannels ?? 8);
    this.hopOptions = {
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      authTimeoutMs: options.authTimeoutMs ?? 60_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      ...(options.debug ? { debug: options.debug } : {}),
    };
  }

  /** The current state. */
  state(): ConnectionState {
    return this.current;
  }

  /** Why the connection is in its state (last error, next retry), for the UI. */
  stateDetail(): string | undefined {
    return this.detail;
  }

  /** The error that made the connection fail (or the last failed attempt while reconnecting). */
  get lastError(): unknown {
    return this.lastErr;
  }

  /** Increases with every successful (re)connection; work tied to an older one has lost its channel. */
  get generation(): number {
    return this.gen;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Subscribes to drops of a ready connection (with the generation that was lost). */
  onDrop(listener: (generation: number) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  /** Waits for a free channel slot; call the returned function (once) when the channel is closed. */
  async channelSlot(): Promise<() => void> {
    if (this.channelsInUse >= this.maxChannels) {
      await new Promise<void>((resolve) => this.channelQueue.push(resolve));
    } else {
      this.channelsInUse += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.channelQueue.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.channelsInUse -= 1;
    };
  }

  /** Connects if needed and resolves when ready; rejects with the SshError that prevented it. */
  async connect(): Promise<void> {
    await this.client();
  }

  /**
   * The ready ssh2 Client of the target. While reconnecting it waits for the outcome; when closed or
   * failed it starts a new connection attempt.
   */
  async client(): Promise<Client> {
    if (this.closedByUser) {
      throw new ServiceError('unavailable', `The connection to ${describeTarget(this.target)} was closed.`);
    }
    const ready = this.clients.at(-1);
    if (this.current === 'ready' && ready) return ready;
    if (this.current === 'reconnecting') return this.waitForReconnect();
    this.establishing ??= this.establish().finally(() => (this.establishing = undefined));
    return this.establishing;
  }

  /** Closes the connection for good; pending waits reject. */
  async close(): Promise<void> {
    if (this.closedByUser) return;
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    const clients = this.clients;
    this.clients = [];
    for (const c of clients.reverse()) c.end();
    this.setState('closed', 'closed by the workbench');
  }

  private setState(state: ConnectionState, detail?: string): void {
    if (state === this.current && detail === this.detail) return;
    this.current = state;
    this.detail = detail;
    for (const l of [...this.stateListeners]) {
      try {
        l(state, detail);
      } catch {
        // a listener's bug must not break the connection
      }
    }
  }

  private async establish(): Promise<Client> {
    this.setState('connecting');
    try {
      return await this.openChain(true);
    } catch (err) {
      this.lastErr = err;
      if (!this.closedByUser) this.setState('failed', (err as Error).message);
      throw err;
    }
  }

  /** Opens every hop in order and adopts the chain as the current connection. */
  private async openChain(reportAuthenticating: boolean): Promise<Client> {
    const hops = flattenHops(this.target);
    const opened: Client[] = [];
    try {
      let via: string | undefined;
      for (let i = 0; i < hops.length; i++) {
        const hop = hops[i] as SshTarget;
        const prev = opened.at(-1);
        const sock = prev && via ? await forwardThrough(prev, via, hop, i, hops.length) : undefined;
        const client = await connectHop(
          {
            hop,
            index: i,
            hopCount: hops.length,
            ...(sock ? { sock } : {}),
            ...(via ? { via } : {}),
            ...(reportAuthenticating && i === hops.length - 1
              ? { onAuthenticating: () => this.setState('authenticating') }
              : {}),
          },
          this.deps,
          this.hopOptions,
        );
        opened.push(client);
        via = describeTarget(hop);
      }
    } catch (err) {
      for (const c of opened.reverse()) c.end();
      throw err;
    }
    if (this.closedByUser) {
      for (const c of opened.reverse()) c.end();
      throw new ServiceError('unavailable', `The connection to ${describeTarget(this.target)} was closed.`);
    }
    this.adopt(opened);
    return opened.at(-1) as Client;
  }

  private adopt(clients: Client[]): void {
    this.clients = clients;
    this.gen += 1;
    const generation = this.gen;
    this.reconnectAttempt = 0;
    this.lastErr = undefined;
    for (const c of clients) {
      // Keepalive timeouts and resets arrive as 'error' then 'close'; the close is what counts.
      c.on('error', (err: Error) => {
        if (generation === this.gen) this.detail = err.message;
      });
      c.on('close', () => this.onClientClosed(generation));
    }
    this.setState('ready');
  }

  private onClientClosed(generation: number): void {
    if (generation !== this.gen || this.closedByUser || this.clients.length === 0) return;
    const why = this.detail ?? 'connection closed';
    const clients = this.clients;
    this.clients = [];
    for (const c of clients) c.destroy();
    for (const l of [...this.dropListeners]) {
      try {
        l(generation);
      } catch {
        // ignore listener bugs
      }
    }
    this.droppedAt = Date.now();
    this.reconnectAttempt = 0;
    this.setState('reconnecting', `connection lost (${why}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.reconnectAttempt, this.policy);
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => void this.reconnectOnce(), delay);
  }

  private async reconnectOnce(): Promise<void> {
    if (this.closedByUser || this.current !== 'reconnecting') return;
    try {
      this.establishing ??= this.openChain(false).finally(() => (this.establishing = undefined));
      await this.establishing;
    } catch (err) {
      if (this.closedByUser) return;
      this.lastErr = err;
      const message = (err as Error).message;
      const elapsed = Date.now() - this.droppedAt;
      if (isPermanentSshError(err)) {
        this.setState('failed', message);
      } else if (elapsed >= this.policy.graceMs) {
        this.setState('failed', `unreachable for ${Math.round(elapsed / 1000)} s: ${message}`);
      } else {
        this.setState('reconnecting', `reconnect attempt ${this.reconnectAttempt} failed: ${message}`);
        this.scheduleReconnect();
      }
    }
  }

  private waitForReconnect(): Promise<Client> {
    return new Promise<Client>((resolve, reject) => {
      const off = this.onState((state) => {
        if (state === 'ready') {
          off();
          resolve(this.clients.at(-1) as Client);
        } else if (state === 'failed' || state === 'closed') {
          off();
          reject(
            this.lastErr instanceof Error
              ? this.lastErr
              : new ServiceError('ssh_unreachable', `The connection to ${describeTarget(this.target)} was lost.`),
          );
        }
      });
    });
  }
}

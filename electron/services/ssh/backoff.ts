/** How reconnect attempts are spaced and for how long a lost connection is still "reconnecting". */
export interface ReconnectPolicy {
  /** Delay before the first attempt. */
  initialDelayMs: number;
  /** Each further delay is the previous one times this factor... */
  factor: number;
  /** ...up to this cap. */
  maxDelayMs: number;
  /** Share of each delay that is random (0 = none, 0.5 = between half and all of it), so clients spread out. */
  jitter: number;
  /** How long after the drop attempts continue before the connection is declared failed. */
  graceMs: number;
}

/** Defaults: 1 s, doubling, capped at 30 s, half jitter, five minutes of grace. */
export const defaultReconnectPolicy: ReconnectPolicy = {
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 30_000,
  jitter: 0.5,
  graceMs: 5 * 60_000,
};

/** The delay before reconnect attempt `attempt` (0-based): capped exponential growth minus random jitter. */
export function backoffDelay(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const exp = policy.initialDelayMs * Math.pow(policy.factor, Math.max(0, attempt));
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped * (1 - policy.jitter * random()));
}

/** A one-shot timer that can be paused (while the user types a passphrase, time does not run out). */
export class PausableTimer {
  private remaining: number;
  private startedAt = 0;
  private handle: NodeJS.Timeout | undefined;
  private pauses = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly fire: () => void,
  ) {
    this.remaining = ms;
    this.start();
  }

  /** Stops the clock until resume (nested pauses are counted). */
  pause(): void {
    if (this.done || this.pauses++ > 0) return;
    clearTimeout(this.handle);
    this.remaining -= Date.now() - this.startedAt;
  }

  /** Restarts the clock with the time that was left. */
  resume(): void {
    if (this.done || --this.pauses > 0) return;
    this.start();
  }

  /** Cancels the timer for good. */
  clear(): void {
    this.done = true;
    clearTimeout(this.handle);
  }

  private start(): void {
    this.startedAt = Date.now();
    this.handle = setTimeout(
      () => {
        this.done = true;
        this.fire();
      },
      Math.max(0, this.remaining),
    );
  }
}

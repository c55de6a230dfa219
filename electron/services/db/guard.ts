import type { Handlers } from '../rpc/handlers.js';
import type { BackgroundCheck } from './background-check.js';
import { damagedError, explainDatabaseError } from './db-errors.js';

/** The request handlers with database failures explained, and the background check's shutdown. */
export interface GuardedHandlers {
  handlers: Handlers;
  /** Stops the background check of a large database, if it still runs. */
  close(): void;
}

/**
 * Wraps every handler so an SQLite failure (locked, damaged, disk full) reaches the user as an error that
 * names the database file and the next step, never as an "unexpected error". Once the background check of
 * a large file finds damage, every request fails with that finding: nothing more is written into it.
 */
export function guardHandlers(handlers: Handlers, path: string, background: BackgroundCheck | null): GuardedHandlers {
  let damage: Error | null = null;
  void background?.done.then((outcome) => {
    const bad = outcome?.findings.filter((f) => f !== 'ok') ?? [];
    if (bad.length > 0) damage = damagedError(path, bad.slice(0, 3).join('; '));
  });
  const guarded = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const [channel, handler] of Object.entries(handlers) as [string, (request: unknown) => Promise<unknown>][]) {
    guarded[channel] = async (request) => {
      if (damage) throw damage;
      try {
        return await handler(request);
      } catch (err) {
        throw explainDatabaseError(err, path);
      }
    };
  }
  return { handlers: guarded as Handlers, close: () => background?.stop() };
}

import type { Handlers } from '../rpc/handlers.js';
import type { HistoryQueries } from './history-queries.js';

/** Handlers of the `history` domain. */
export function historyHandlers(
  queries: HistoryQueries,
): Pick<Handlers, 'history:runs' | 'history:run' | 'history:throughput'> {
  return {
    'history:runs': async ({ limit }) => queries.list(limit),
    'history:run': async ({ runId }) => queries.one(runId),
    'history:throughput': async ({ nodeId, preset }) => queries.throughput(nodeId, preset),
  };
}

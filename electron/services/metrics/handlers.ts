import { posix } from 'node:path';
import { isFinalState } from '../../contract/runs.js';
import { ServiceError } from '../errors.js';
import type { NodePool } from '../nodes/node-pool.js';
import type { Handlers } from '../rpc/handlers.js';
import type { RunStore } from '../runs/run-store.js';
import type { IngestWriter } from './ingest-writer.js';
import type { MetricsQueries } from './queries.js';
import { StreamIngester } from './stream-ingester.js';

type MetricsHandlers = Pick<
  Handlers,
  'metrics:list' | 'metrics:series' | 'metrics:router' | 'metrics:errors' | 'metrics:ingest'
>;

/** Handlers of the `metrics` domain. */
export function metricsHandlers(
  queries: MetricsQueries,
  runs: RunStore,
  writer: IngestWriter,
  pool: NodePool,
  /** Re-reads a run's state from its node (RunMonitor.refresh). */
  refreshRun: (runId: string) => Promise<unknown>,
): MetricsHandlers {
  return {
    'metrics:list': async ({ runId }) => queries.listSeries(runs.get(runId).key),
    'metrics:series': async (req) => {
      const run = runs.get(req.runId);
      return queries.series({ ...req, runKey: run.key });
    },
    'metrics:router': async ({ runId, step, maxPoints }) => queries.router(runs.get(runId).key, runId, step, maxPoints),
    'metrics:errors': async ({ runId }) => {
      runs.get(runId);
      return queries.errors(runId);
    },
    'metrics:ingest': async ({ runId, fromStart }) => {
      const run = runs.get(runId);
      const node = await pool.get(run.nodeId);
      const path = posix.join(run.remoteDir, 'metrics.jsonl');
      if (fromStart) {
        if ((await node.stat(path)) === null) {
          throw new ServiceError(
            'not_found',
            `${path} does not exist.`,
            'Nothing was changed; check the run directory.',
          );
        }
        writer.cursors.resetTo0(run.id, 'metrics');
      }
      const ingester = new StreamIngester(writer, node, run.key, run.id, path);
      const result = await ingester.poll();
      if (result.missing) {
        throw new ServiceError(
          'unavailable',
          result.missing,
          'If the run directory was moved or its disk is not mounted, put it back and ingest again; nothing is ' +
            'lost or blocked meanwhile. If it was deleted, the points read so far stay in the database.',
        );
      }
      // A status record (read now or before) may have ended a run nobody watches: its stored state must
      // follow. What was read is committed either way; a node that cannot be asked now leaves it to the next look.
      if (!isFinalState(run.state) && runs.lastStatus(runs.get(runId)) !== null) {
        await refreshRun(runId).catch(() => undefined);
      }
      return {
        lines: result.chunks.reduce((n, c) => n + c.lines, 0),
        points: result.chunks.reduce((n, c) => n + c.points, 0),
        byteOffset: result.cursor.byteOffset,
        blocked: result.blocked,
      };
    },
  };
}

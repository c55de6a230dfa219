import { isFinalState } from '../../contract/runs.js';
import type { Handlers } from '../rpc/handlers.js';
import type { Launcher } from './launcher.js';
import type { RunMonitor } from './monitor.js';
import { toSummary, type RunStore } from './run-store.js';

type RunsHandlers = Pick<
  Handlers,
  | 'runs:launch'
  | 'runs:stop'
  | 'runs:kill'
  | 'runs:resume'
  | 'runs:fork'
  | 'runs:list'
  | 'runs:get'
  | 'runs:update'
  | 'runs:refresh'
>;

/** How long `runs:list` waits for a look at an unwatched run's node. */
const listRefreshMs = 10_000;

/** `p`, or a rejection once `ms` have passed (the work itself goes on). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Handlers of the `runs` domain. */
export function runsHandlers(
  runs: RunStore,
  launcher: Launcher,
  monitor: RunMonitor,
  onChanged: (id: string) => void,
): RunsHandlers {
  return {
    'runs:launch': async (req) => launcher.launch(req),
    'runs:stop': async ({ runId }) => launcher.stop(runId),
    'runs:kill': async ({ runId }) => launcher.kill(runId),
    'runs:resume': async ({ runId, checkpointId }) => launcher.resume(runId, checkpointId),
    'runs:fork': async (req) => launcher.fork(req),
    'runs:list': async ({ nodeId, limit }) => {
      const list = runs.list(nodeId ?? null, limit);
      // A run nobody watches (the CLI's) may have ended since its state was stored: look first. A node
      // that does not answer in time keeps its runs' stored states.
      const unwatched = list.filter((r) => !isFinalState(r.state) && !monitor.isWatching(r.id));
      if (unwatched.length === 0) return list.map(toSummary);
      await Promise.all(unwatched.map((r) => within(monitor.refresh(r.id), listRefreshMs).catch(() => undefined)));
      return runs.list(nodeId ?? null, limit).map(toSummary);
    },
    'runs:get': async ({ runId }) => runs.detail(runId),
    'runs:update': async ({ runId, ...patch }) => {
      const run = toSummary(runs.updateInfo(runId, patch));
      onChanged(runId);
      return run;
    },
    'runs:refresh': async ({ runId }) => toSummary(await monitor.refresh(runId)),
  };
}

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
    'runs:list': async ({ nodeId, limit }) => runs.list(nodeId ?? null, limit).map(toSummary),
    'runs:get': async ({ runId }) => runs.detail(runId),
    'runs:update': async ({ runId, ...patch }) => {
      const run = toSummary(runs.updateInfo(runId, patch));
      onChanged(runId);
      return run;
    },
    'runs:refresh': async ({ runId }) => toSummary(await monitor.refresh(runId)),
  };
}

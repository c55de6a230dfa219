import type { RunState } from '../../../electron/contract/runs.js';

const labels: Record<RunState, string> = {
  launching: 'Launching',
  running: 'Running',
  unresponsive: 'Unresponsive',
  stopping: 'Stopping',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
};

/** A run's state as a small coloured label (colour is never the only cue: the word is always there). */
export function StateBadge({ state }: { state: RunState }) {
  return (
    <span className={`badge badge-${state}`} data-state={state}>
      <span className="badge-dot" aria-hidden="true" />
      {labels[state]}
    </span>
  );
}

/** True while a run's trainer may still be working. */
export function isLive(state: RunState): boolean {
  return state === 'launching' || state === 'running' || state === 'unresponsive' || state === 'stopping';
}

import type { CheckpointInfo } from '../../../electron/contract/checkpoints.js';
import type { RunState } from '../../../electron/contract/runs.js';

/** Which row actions a checkpoint offers, and why one is not offered (shown to the user). */
export interface CheckpointActions {
  verify: boolean;
  download: boolean;
  /** Null when it may be deleted, else why not. */
  deleteBlocked: string | null;
  /** Null when the run may resume from it, else why not. */
  resumeBlocked: string | null;
  /** Fork, anneal and evaluate need a complete checkpoint. */
  derive: boolean;
}

const liveStates: RunState[] = ['launching', 'running', 'unresponsive', 'stopping'];

/** The actions of one ledger row, given its run's state. */
export function checkpointActions(c: CheckpointInfo, runState: RunState): CheckpointActions {
  const complete = c.status === 'complete';
  const live = liveStates.includes(runState);
  let deleteBlocked: string | null = null;
  if (c.status === 'deleted') deleteBlocked = 'Already deleted.';
  else if (live && c.newest && complete)
    deleteBlocked = 'The run is training: this newest complete checkpoint is the one it would resume from.';
  let resumeBlocked: string | null = null;
  if (!complete) resumeBlocked = c.status === 'corrupt' ? 'Corrupt: its files do not match the MANIFEST.' : 'Deleted.';
  else if (live) resumeBlocked = 'The run is still training; stop it first.';
  else if (runState === 'completed') resumeBlocked = 'The run completed its planned steps; fork it to train further.';
  return { verify: c.status !== 'deleted', download: complete, deleteBlocked, resumeBlocked, derive: complete };
}

import type { Handlers } from '../rpc/handlers.js';
import type { RunStore } from '../runs/run-store.js';
import type { CheckpointService } from './checkpoint-service.js';
import type { CheckpointStore } from './checkpoint-store.js';

type CheckpointsHandlers = Pick<
  Handlers,
  'checkpoints:list' | 'checkpoints:verify' | 'checkpoints:delete' | 'checkpoints:download'
>;

/** Handlers of the `checkpoints` domain. */
export function checkpointsHandlers(
  store: CheckpointStore,
  service: CheckpointService,
  runs: RunStore,
): CheckpointsHandlers {
  return {
    'checkpoints:list': async ({ runId, includeDeleted }) => {
      runs.get(runId);
      return store.list(runId, includeDeleted);
    },
    'checkpoints:verify': async ({ checkpointId }) => service.verify(checkpointId),
    'checkpoints:delete': async ({ checkpointId }) => service.delete(checkpointId),
    'checkpoints:download': async ({ checkpointId, dest }) => service.download(checkpointId, dest),
  };
}

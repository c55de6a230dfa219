import { useCallback, useEffect, useState } from 'react';
import type { CheckpointInfo } from '../../../../electron/contract/checkpoints.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';
import { asWorkbenchError } from '../../lib/errors.js';

/** A run's checkpoint ledger, kept current by `checkpoints:changed`, new checkpoint records and state changes. */
export function useCheckpoints(runId: string): {
  checkpoints: CheckpointInfo[] | null;
  error: WorkbenchError | null;
  reload: () => void;
} {
  const api = useApi();
  const [checkpoints, setCheckpoints] = useState<CheckpointInfo[] | null>(null);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const reload = useCallback(() => {
    api.invoke('checkpoints:list', { runId, includeDeleted: true }).then(
      (list) => {
        setCheckpoints(list);
        setError(null);
      },
      (e: unknown) => setError(asWorkbenchError(e)),
    );
  }, [api, runId]);
  useEffect(() => {
    setCheckpoints(null);
    reload();
  }, [reload]);
  useEvent('checkpoints:changed', ({ checkpoint }) => {
    if (checkpoint.runId !== runId) return;
    setCheckpoints((list) => {
      if (!list) return list;
      const i = list.findIndex((c) => c.id === checkpoint.id);
      if (i < 0) return [...list, checkpoint].sort((a, b) => a.step - b.step || a.id - b.id);
      const next = [...list];
      next[i] = checkpoint;
      return next;
    });
  });
  useEvent('metrics:appended', (e) => {
    if (e.runId === runId && e.records.checkpoint) reload();
  });
  useEvent('runs:changed', ({ run }) => {
    if (run.id === runId) reload();
  });
  return { checkpoints, error, reload };
}

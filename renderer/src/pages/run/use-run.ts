import { useCallback, useEffect, useState } from 'react';
import type { HistoryRun } from '../../../../electron/contract/history.js';
import type { RunDetail } from '../../../../electron/contract/runs.js';
import { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';

/** Everything the run page shows about a run, kept current by `runs:changed` and `metrics:appended`. */
export function useRun(runId: string): {
  detail: RunDetail | null;
  facts: HistoryRun | null;
  error: WorkbenchError | null;
  reload: () => void;
} {
  const api = useApi();
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [facts, setFacts] = useState<HistoryRun | null>(null);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const reload = useCallback(() => {
    api.invoke('runs:get', { runId }).then(
      (d) => {
        setDetail(d);
        setError(null);
      },
      (e: unknown) =>
        setError(e instanceof WorkbenchError ? e : new WorkbenchError({ code: 'internal', message: String(e) })),
    );
    api.invoke('history:run', { runId }).then(setFacts, () => undefined);
  }, [api, runId]);
  useEffect(() => {
    setDetail(null);
    setFacts(null);
    reload();
  }, [reload]);
  useEvent('runs:changed', ({ run }) => {
    if (run.id !== runId) return;
    setDetail((d) => (d ? { ...d, ...run } : d));
    // State changes bring new attempts, checkpoints and events: read the whole run again.
    reload();
  });
  useEvent('metrics:appended', (e) => {
    if (e.runId !== runId) return;
    api.invoke('history:run', { runId }).then(setFacts, () => undefined);
    if (e.records.checkpoint || e.records.header || e.records.status || e.records.event) reload();
  });
  return { detail, facts, error, reload };
}

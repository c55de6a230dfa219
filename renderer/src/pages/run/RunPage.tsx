import { useState } from 'react';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi } from '../../app/api-context.js';
import { useNodes } from '../../app/hooks.js';
import { Link, useRouter } from '../../app/router.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { isLive, StateBadge } from '../../components/StateBadge.js';
import { formatDateTime } from '../../lib/format.js';
import { ExpertsView } from './ExpertsView.js';
import { CheckpointsTab } from './CheckpointsTab.js';
import { RunDetails } from './RunDetails.js';
import { RunLineage } from './RunLineage.js';
import { RunNotes } from './RunNotes.js';
import { RunStats } from './RunStats.js';
import { TrainingCharts } from './TrainingCharts.js';
import { useRun } from './use-run.js';
import { shownName } from '../../lib/shown.js';

type Tab = 'training' | 'experts' | 'checkpoints' | 'details';

/** One run: live charts, the MoE views and its record. */
export function RunPage({ runId, tab }: { runId: string; tab: Tab }) {
  const api = useApi();
  const { location } = useRouter();
  const nodes = useNodes();
  const { detail, facts, error, reload } = useRun(runId);
  const [actionError, setActionError] = useState<WorkbenchError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmKill, setConfirmKill] = useState(false);

  if (error) return <ErrorNotice error={error} onRetry={reload} />;
  if (!detail) return <p aria-busy="true">Loading the run…</p>;

  const live = isLive(detail.state);
  const nodeName = nodes?.find((n) => n.id === detail.nodeId)?.name ?? detail.nodeId;
  const act = (name: string, channel: 'runs:stop' | 'runs:kill' | 'runs:resume'): void => {
    setBusy(name);
    setActionError(null);
    api.invoke(channel, { runId }).then(
      () => {
        setBusy(null);
        reload();
      },
      (e: WorkbenchError) => {
        setBusy(null);
        setActionError(e);
      },
    );
  };
  const base = `/runs/${encodeURIComponent(runId)}`;
  const maxPoints = Number(location.query.get('maxPoints')) || undefined;

  return (
    <div className="page" data-testid="run-page" data-run-id={runId} data-state={detail.state}>
      <header className="page-header">
        <div>
          <p className="crumbs">
            <Link to="/history">Runs</Link> / <span className="mono">{detail.id}</span>
          </p>
          <h1>
            {shownName(detail.name)} <StateBadge state={detail.state} />
          </h1>
          <p className="subtle">
            {detail.preset ?? 'custom'} on {nodeName} · started {formatDateTime(detail.startedAt ?? detail.createdAt)}
            {detail.attempt > 1 ? ` · attempt ${detail.attempt}` : ''}
            {detail.stateMessage ? ` · ${detail.stateMessage}` : ''}
          </p>
        </div>
        <div className="actions">
          {live && detail.state !== 'stopping' && (
            <button type="button" className="button" disabled={busy !== null} onClick={() => act('stop', 'runs:stop')}>
              {busy === 'stop' ? 'Stopping…' : 'Stop'}
            </button>
          )}
          {live && (
            <button
              type="button"
              className="button danger-outline"
              disabled={busy !== null}
              onClick={() => setConfirmKill(true)}
            >
              Kill…
            </button>
          )}
          {(detail.state === 'stopped' || detail.state === 'failed') && (
            <button
              type="button"
              className="button"
              disabled={busy !== null}
              onClick={() => act('resume', 'runs:resume')}
            >
              {busy === 'resume' ? 'Resuming…' : 'Resume'}
            </button>
          )}
          <Link className="button" to={`/launch?from=${encodeURIComponent(runId)}`}>
            Launch similar
          </Link>
        </div>
      </header>
      {actionError && <ErrorNotice error={actionError} />}
      <RunLineage detail={detail} />
      <RunStats detail={detail} facts={facts} />
      <nav className="tabs" aria-label="Run views">
        <Link to={base} aria-current={tab === 'training' ? 'page' : undefined}>
          Training
        </Link>
        <Link to={`${base}/experts`} aria-current={tab === 'experts' ? 'page' : undefined}>
          Experts
        </Link>
        <Link to={`${base}/checkpoints`} aria-current={tab === 'checkpoints' ? 'page' : undefined}>
          Checkpoints
        </Link>
        <Link to={`${base}/details`} aria-current={tab === 'details' ? 'page' : undefined}>
          Details
        </Link>
      </nav>
      {tab === 'training' && (
        <TrainingCharts runId={runId} live={live} {...(maxPoints ? { maxPointsOverride: maxPoints } : {})} />
      )}
      {tab === 'experts' && <ExpertsView runId={runId} live={live} />}
      {tab === 'checkpoints' && <CheckpointsTab detail={detail} onResumed={reload} />}
      {tab === 'details' && (
        <>
          <RunNotes run={detail} />
          <RunDetails detail={detail} />
        </>
      )}
      <Dialog open={confirmKill} title="Kill this run?" tone="danger" onClose={() => setConfirmKill(false)}>
        <p>
          Killing sends SIGKILL to the trainer: no checkpoint is written and the steps since the last checkpoint are
          lost. <strong>Stop</strong> ends the run cleanly with a checkpoint instead.
        </p>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setConfirmKill(false)} autoFocus>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            onClick={() => {
              setConfirmKill(false);
              act('kill', 'runs:kill');
            }}
          >
            Kill the run
          </button>
        </div>
      </Dialog>
    </div>
  );
}

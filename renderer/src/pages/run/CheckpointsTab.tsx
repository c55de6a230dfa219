import { useState } from 'react';
import type { CheckpointInfo } from '../../../../electron/contract/checkpoints.js';
import type { RunDetail } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';
import { Link, useRouter } from '../../app/router.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { isLive } from '../../components/StateBadge.js';
import { asWorkbenchError } from '../../lib/errors.js';
import { formatBytes, formatInteger } from '../../lib/format.js';
import { CheckpointRow, type RowHandlers, type RowOperation } from './CheckpointRow.js';
import { EvaluateDialog } from './EvaluateDialog.js';
import { ForkDialog } from './ForkDialog.js';
import { useCheckpoints } from './use-checkpoints.js';

/** The checkpoint ledger of a run, with verify, download, delete, resume, fork, anneal and evaluate per row. */
export function CheckpointsTab({ detail, onResumed }: { detail: RunDetail; onResumed: () => void }) {
  const api = useApi();
  const { navigate } = useRouter();
  const { checkpoints, error, reload } = useCheckpoints(detail.id);
  const [ops, setOps] = useState<Record<number, RowOperation>>({});
  const [deleting, setDeleting] = useState<CheckpointInfo | null>(null);
  const [forking, setForking] = useState<{ c: CheckpointInfo; mode: 'fork' | 'anneal' } | null>(null);
  const [evaluating, setEvaluating] = useState<CheckpointInfo | null>(null);

  const setOp = (id: number, patch: Partial<RowOperation> & Pick<RowOperation, 'kind'>): void =>
    setOps((o) => ({ ...o, [id]: { running: false, progress: null, result: null, error: null, ...o[id], ...patch } }));
  const start = (c: CheckpointInfo, kind: RowOperation['kind']): void =>
    setOps((o) => ({ ...o, [c.id]: { kind, running: true, progress: null, result: null, error: null } }));
  const failed = (c: CheckpointInfo, kind: RowOperation['kind']) => (e: unknown) =>
    setOp(c.id, { kind, running: false, error: asWorkbenchError(e) });

  useEvent('checkpoints:progress', (p) => {
    setOps((o) => {
      const cur = o[p.checkpointId];
      if (!cur?.running || cur.kind !== p.operation) return o;
      return { ...o, [p.checkpointId]: { ...cur, progress: p } };
    });
  });

  const on: RowHandlers = {
    verify: (c) => {
      start(c, 'verify');
      api.invoke('checkpoints:verify', { checkpointId: c.id }).then(
        (r) => {
          const bad = r.files.filter((f) => !f.ok).map((f) => f.name);
          setOp(c.id, {
            kind: 'verify',
            running: false,
            result: {
              ok: r.ok,
              text: r.ok
                ? `Verified: ${r.message}`
                : `Verification failed: ${r.message}${bad.length ? ` (${bad.join(', ')})` : ''}`,
            },
          });
          reload();
        },
        failed(c, 'verify'),
      );
    },
    download: (c) => {
      start(c, 'download');
      api.invoke('checkpoints:download', { checkpointId: c.id }).then(
        (r) => {
          const reused = r.reused ? `, ${r.reused} reused from an earlier download` : '';
          setOp(c.id, {
            kind: 'download',
            running: false,
            result: {
              ok: true,
              text: `Downloaded ${r.files} files (${formatBytes(r.bytes)}) to ${r.localPath}; every SHA-1 matches the MANIFEST${reused}.`,
            },
          });
          reload();
        },
        failed(c, 'download'),
      );
    },
    askDelete: (c) => setDeleting(c),
    resume: (c) => {
      start(c, 'resume');
      api.invoke('runs:resume', { runId: detail.id, checkpointId: c.id }).then(
        () => {
          setOp(c.id, { kind: 'resume', running: false, result: { ok: true, text: `Resumed from step ${c.step}.` } });
          onResumed();
          navigate(`/runs/${encodeURIComponent(detail.id)}`);
        },
        failed(c, 'resume'),
      );
    },
    fork: (c, mode) => setForking({ c, mode }),
    evaluate: (c) => setEvaluating(c),
  };

  const doDelete = (c: CheckpointInfo): void => {
    setDeleting(null);
    start(c, 'delete');
    api.invoke('checkpoints:delete', { checkpointId: c.id }).then(
      () => {
        setOp(c.id, {
          kind: 'delete',
          running: false,
          result: { ok: true, text: `Deleted step ${c.step} on the node.` },
        });
        reload();
      },
      failed(c, 'delete'),
    );
  };

  if (error) return <ErrorNotice error={error} onRetry={reload} />;
  if (!checkpoints) return <p aria-busy="true">Loading the checkpoints…</p>;

  const every = String((detail.config.flags as Record<string, unknown> | undefined)?.['checkpoint-every'] ?? '0');
  const keep = String((detail.config.flags as Record<string, unknown> | undefined)?.['keep-checkpoints'] ?? '');
  const live = isLive(detail.state);
  return (
    <section aria-label="Checkpoints">
      {checkpoints.length === 0 ? (
        <div className="empty-state">
          <h2>No checkpoint yet</h2>
          <p>
            The trainer saves one {every !== '0' ? `every ${formatInteger(Number(every))} steps, ` : ''}when a run is
            stopped, and at the end.{' '}
            {live
              ? 'Stop the run to save one now; it can be resumed from there.'
              : 'To get checkpoints along the way, launch a similar run with “Checkpoint every” set.'}
          </p>
          {!live && (
            <div className="actions">
              <Link className="button" to={`/launch?from=${encodeURIComponent(detail.id)}`}>
                Launch similar
              </Link>
            </div>
          )}
        </div>
      ) : (
        <>
          <p className="hint small">
            Saved {every !== '0' ? `every ${formatInteger(Number(every))} steps, ` : ''}on stop and at the end; the
            trainer keeps the newest {keep || 'k'} and those it names a reason for. Resume continues this run from a
            checkpoint; Fork and Anneal start a new run from it.
          </p>
          <div className="table-wrap">
            <table className="table compact ledger" aria-label="Checkpoint ledger">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Step
                  </th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col" className="num">
                    Attempt
                  </th>
                  <th scope="col" className="num">
                    Loss at save
                  </th>
                  <th scope="col" className="num">
                    Val loss
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Kept because</th>
                  <th scope="col">Downloaded</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {checkpoints.map((c) => (
                  <CheckpointRow
                    key={c.id}
                    c={c}
                    runState={detail.state}
                    op={ops[c.id]}
                    busy={ops[c.id]?.running ?? false}
                    on={on}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <Dialog open={deleting !== null} title="Delete this checkpoint?" tone="danger" onClose={() => setDeleting(null)}>
        {deleting && (
          <>
            <p>
              This removes step {formatInteger(deleting.step)} ({formatBytes(deleting.bytes)}) from the node:{' '}
              <span className="mono">{deleting.remotePath}</span>. The run can no longer be resumed, forked or evaluated
              from it.
              {deleting.downloadedPath ? ` The copy on this machine (${deleting.downloadedPath}) stays.` : ''}
            </p>
            <div className="dialog-actions">
              <button type="button" className="button" onClick={() => setDeleting(null)} autoFocus>
                Cancel
              </button>
              <button type="button" className="button danger" onClick={() => doDelete(deleting)}>
                Delete the checkpoint
              </button>
            </div>
          </>
        )}
      </Dialog>
      {forking && (
        <ForkDialog detail={detail} checkpoint={forking.c} mode={forking.mode} onClose={() => setForking(null)} />
      )}
      {evaluating && (
        <EvaluateDialog checkpoint={evaluating} runName={detail.name} onClose={() => setEvaluating(null)} />
      )}
    </section>
  );
}

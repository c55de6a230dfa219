import type { CheckpointInfo, CheckpointProgress } from '../../../../electron/contract/checkpoints.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { RunState } from '../../../../electron/contract/runs.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { checkpointActions } from '../../lib/checkpoint-actions.js';
import { formatBytes, formatCount, formatDateTime, formatInteger, formatValue } from '../../lib/format.js';

/** What one row's current or last long operation is doing. */
export interface RowOperation {
  kind: 'verify' | 'download' | 'delete' | 'resume';
  running: boolean;
  progress: CheckpointProgress | null;
  /** The outcome in one sentence, and whether it is good news. */
  result: { ok: boolean; text: string } | null;
  error: WorkbenchError | null;
}

/** What a row asks its tab to do. */
export interface RowHandlers {
  verify: (c: CheckpointInfo) => void;
  download: (c: CheckpointInfo) => void;
  askDelete: (c: CheckpointInfo) => void;
  resume: (c: CheckpointInfo) => void;
  fork: (c: CheckpointInfo, mode: 'fork' | 'anneal') => void;
  evaluate: (c: CheckpointInfo) => void;
}

const statusText: Record<CheckpointInfo['status'], string> = {
  complete: 'complete',
  corrupt: 'corrupt',
  deleted: 'deleted',
};
const opVerb: Record<RowOperation['kind'], string> = {
  verify: 'Verifying',
  download: 'Downloading',
  delete: 'Deleting',
  resume: 'Resuming',
};

/** One checkpoint of the ledger with its actions; a second row under it shows a running or finished operation. */
export function CheckpointRow({
  c,
  runState,
  op,
  busy,
  on,
}: {
  c: CheckpointInfo;
  runState: RunState;
  op: RowOperation | undefined;
  busy: boolean;
  on: RowHandlers;
}) {
  const a = checkpointActions(c, runState);
  const at = `step ${c.step}`;
  const pct = op?.progress?.total ? Math.min(100, (100 * (op.progress.transferred ?? 0)) / op.progress.total) : null;
  return (
    <>
      <tr
        data-checkpoint-id={c.id}
        data-step={c.step}
        data-status={c.status}
        className={c.status === 'deleted' ? 'row-deleted' : undefined}
      >
        <th scope="row" className="num">
          {formatInteger(c.step)}
          {c.newest && <span className="pill">newest</span>}
        </th>
        <td className="num">{formatCount(c.tokens)}</td>
        <td className="num">{formatBytes(c.bytes)}</td>
        <td className="num">{c.attempt}</td>
        <td className="num">{formatValue(c.loss)}</td>
        <td className="num">{formatValue(c.valLoss)}</td>
        <td>
          <span className={c.status === 'corrupt' ? 'status-bad' : c.status === 'deleted' ? 'muted' : undefined}>
            {statusText[c.status]}
          </span>
          {c.verifiedAt !== null && (
            <div className="muted small" title={c.verifyMessage ?? undefined}>
              verified {formatDateTime(c.verifiedAt)}
            </div>
          )}
        </td>
        <td className="small">{[c.reason, ...c.keptReasons].filter(Boolean).join(', ') || '—'}</td>
        <td className="small">
          {c.downloadedPath ? (
            <span className="mono" title={c.downloadedPath}>
              yes
            </span>
          ) : (
            <span className="muted">no</span>
          )}
        </td>
        <td className="row-actions">
          <button
            type="button"
            className="link-button"
            disabled={busy || !a.verify}
            onClick={() => on.verify(c)}
            aria-label={`Verify ${at}`}
          >
            Verify
          </button>
          <button
            type="button"
            className="link-button"
            disabled={busy || !a.download}
            onClick={() => on.download(c)}
            aria-label={`Download ${at}`}
          >
            Download
          </button>
          <button
            type="button"
            className="link-button danger-text"
            disabled={busy || a.deleteBlocked !== null}
            title={a.deleteBlocked ?? undefined}
            onClick={() => on.askDelete(c)}
            aria-label={`Delete ${at}…`}
          >
            Delete…
          </button>
          {a.resumeBlocked === null && (
            <button
              type="button"
              className="link-button"
              disabled={busy}
              onClick={() => on.resume(c)}
              aria-label={`Resume from ${at}`}
            >
              Resume from here
            </button>
          )}
          <button
            type="button"
            className="link-button"
            disabled={busy || !a.derive}
            onClick={() => on.fork(c, 'fork')}
            aria-label={`Fork from ${at}…`}
          >
            Fork…
          </button>
          <button
            type="button"
            className="link-button"
            disabled={busy || !a.derive}
            onClick={() => on.fork(c, 'anneal')}
            aria-label={`Anneal from ${at}…`}
          >
            Anneal…
          </button>
          <button
            type="button"
            className="link-button"
            disabled={busy || !a.derive}
            onClick={() => on.evaluate(c)}
            aria-label={`Evaluate ${at}…`}
          >
            Evaluate…
          </button>
          {a.deleteBlocked !== null && c.status !== 'deleted' && (
            <p className="muted small row-note">{a.deleteBlocked}</p>
          )}
        </td>
      </tr>
      {op && (
        <tr className="op-row" aria-live="polite">
          <td colSpan={10}>
            {op.running && (
              <div className="op-progress" role="status" aria-label={`${opVerb[op.kind]} ${at}`}>
                <span>
                  {opVerb[op.kind]} {at}… {op.progress?.message ?? ''}
                </span>
                {op.kind === 'download' || op.kind === 'verify' ? (
                  <progress
                    max={100}
                    {...(pct !== null ? { value: pct } : {})}
                    aria-label={`${op.kind === 'download' ? 'Download' : 'Verify'} progress`}
                  />
                ) : null}
              </div>
            )}
            {op.result && (
              <p className={op.result.ok ? 'status-ok' : 'status-bad'} role="status">
                {op.result.text}
              </p>
            )}
            {op.error && <ErrorNotice error={op.error} />}
          </td>
        </tr>
      )}
    </>
  );
}

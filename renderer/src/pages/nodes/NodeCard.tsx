import { useState } from 'react';
import type { LocalTrainerStatus } from '../../../../electron/contract/app.js';
import type { Deployment, DeployProgress } from '../../../../electron/contract/deploy.js';
import { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { NodeProfile, NodeReport } from '../../../../electron/contract/nodes.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { deployFraction, phaseLabel } from './deploy-progress.js';
import { HostKeyDialog, hostKeyProblem } from './HostKeyDialog.js';
import { shownName } from '../../lib/shown.js';

/** One node: where it is, what it has (after a test), and its trainer deploy with live progress. */
export function NodeCard({
  node,
  trainer,
  onEdit,
  onRemove,
}: {
  node: NodeProfile;
  trainer?: LocalTrainerStatus | undefined;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const api = useApi();
  const [report, setReport] = useState<NodeReport | null>(null);
  const [testing, setTesting] = useState(false);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const [deploying, setDeploying] = useState(false);
  const [progress, setProgress] = useState<DeployProgress | null>(null);
  const [log, setLog] = useState<string[]>([]);
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [retry, setRetry] = useState<(() => void) | null>(null);

  useEvent('deploy:progress', (p) => {
    if (p.nodeId !== node.id) return;
    setProgress(p);
    setLog((l) => (l[l.length - 1] === p.message ? l : [...l.slice(-300), p.message]));
  });

  const fail = (e: unknown, again: () => void): void => {
    const err = e instanceof WorkbenchError ? e : new WorkbenchError({ code: 'internal', message: String(e) });
    setError(err);
    if (hostKeyProblem(err)) setRetry(() => again);
  };
  const test = (): void => {
    setTesting(true);
    setError(null);
    api.invoke('nodes:test', { id: node.id }).then(
      (r) => {
        setReport(r);
        setTesting(false);
      },
      (e: unknown) => {
        setTesting(false);
        fail(e, test);
      },
    );
  };
  const deploy = (force: boolean): void => {
    setDeploying(true);
    setError(null);
    setLog([]);
    setProgress(null);
    setDeployment(null);
    api.invoke('deploy:start', { nodeId: node.id, force }).then(
      (d) => {
        setDeployment(d);
        setDeploying(false);
      },
      (e: unknown) => {
        setDeploying(false);
        fail(e, () => deploy(force));
      },
    );
  };
  const fraction = progress ? deployFraction(progress) : 0;

  return (
    <article className="card node-card" aria-labelledby={`node-${node.id}`} data-node-id={node.id}>
      <header className="node-head">
        <div>
          <h2 id={`node-${node.id}`}>{shownName(node.name)}</h2>
          <p className="subtle mono">
            {node.kind === 'local'
              ? 'this computer'
              : `${node.user ? `${node.user}@` : ''}${node.host}${node.port && node.port !== 22 ? `:${node.port}` : ''}`}
            {node.proxyJump ? ` via ${node.proxyJump}` : ''}
          </p>
        </div>
        <div className="actions">
          <button type="button" className="button" disabled={testing} onClick={test}>
            {testing ? 'Testing…' : 'Test connection'}
          </button>
          <button type="button" className="button" disabled={deploying} onClick={() => deploy(false)}>
            {deploying ? 'Deploying…' : node.kind === 'local' ? 'Build trainer' : 'Deploy trainer'}
          </button>
          {node.kind === 'ssh' && (
            <>
              <button type="button" className="link-button" onClick={onEdit}>
                Edit
              </button>
              <button type="button" className="link-button danger-text" onClick={onRemove}>
                Remove
              </button>
            </>
          )}
        </div>
      </header>

      {trainer && (
        <p className={trainer.state === 'ready' ? 'status status-ok' : 'status status-bad'}>
          {trainer.state === 'ready'
            ? `Trainer ready: ${trainer.versionLine}`
            : trainer.state === 'missing'
              ? 'Trainer not built'
              : `Trainer not working: ${trainer.message}`}
        </p>
      )}

      {error && !retry && <ErrorNotice error={error} />}
      {error && retry && (
        <HostKeyDialog
          error={error}
          onClose={() => setRetry(null)}
          onTrusted={() => {
            const again = retry;
            setRetry(null);
            setError(null);
            again();
          }}
        />
      )}

      {report && <ReportView report={report} />}

      {(deploying || progress) && (
        <section className="deploy" aria-label={`Deploy to ${node.name}`}>
          <div className="deploy-head">
            <strong>{progress ? phaseLabel(progress.phase) : 'Starting…'}</strong>
            <span className="muted small">{Math.round(fraction * 100)}%</span>
          </div>
          <progress
            max={1}
            value={fraction}
            aria-label="Deploy progress"
            className={progress?.phase === 'failed' ? 'failed' : ''}
          />
          <pre className="build-log" aria-label="Build log" aria-live="polite">
            {log.join('\n')}
          </pre>
          {deployment?.buildLogTail && (
            <details>
              <summary>Full build output (end)</summary>
              <pre className="build-log">{deployment.buildLogTail}</pre>
            </details>
          )}
          {deployment && !deploying && (
            <button type="button" className="link-button small" onClick={() => deploy(true)}>
              Rebuild from scratch
            </button>
          )}
        </section>
      )}
    </article>
  );
}

function ReportView({ report }: { report: NodeReport }) {
  return (
    <section className="node-report" aria-label="Node report">
      <dl className="facts">
        <dt>Host</dt>
        <dd>
          {report.hostname} · {report.os} · {report.arch} · kernel {report.kernel}
        </dd>
        <dt>CPU and memory</dt>
        <dd>
          {report.cpuCount ?? '—'} CPUs · {formatBytes(report.memoryBytes)}
        </dd>
        <dt>GPUs</dt>
        <dd>
          {report.gpus.length === 0 ? (
            'none found (nvidia-smi)'
          ) : (
            <ul className="plain">
              {report.gpus.map((g, i) => (
                <li key={i}>
                  {g.name} · {g.memoryMiB !== null ? formatBytes(g.memoryMiB * 1024 * 1024) : '—'} · driver{' '}
                  {g.driver ?? '—'}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Python</dt>
        <dd>
          {report.python
            ? `${report.python.version} at ${report.python.path}; ` +
              (report.python.torch
                ? `PyTorch ${report.python.torch.version}` +
                  (report.python.torch.cuda ? `, CUDA ${report.python.torch.cuda}` : ' (CPU)')
                : 'no PyTorch')
            : 'not found'}
        </dd>
        <dt>Build tools</dt>
        <dd>
          {report.tools.cmake ?? 'cmake missing'} · {report.tools.gxx ?? 'g++ missing'} ·{' '}
          {report.tools.nvcc ?? 'no nvcc'}
        </dd>
        <dt>Checked</dt>
        <dd>{formatDateTime(report.checkedAt)}</dd>
      </dl>
      {report.warnings.length > 0 && (
        <ul className="warnings">
          {report.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

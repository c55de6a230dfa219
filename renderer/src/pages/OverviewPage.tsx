import type { AppInfo, LocalTrainerStatus } from '../../../electron/contract/app.js';
import { useRequest } from '../app/api-context.js';
import { useNodes, useNow, useRuns } from '../app/hooks.js';
import { Link } from '../app/router.js';
import { Sparkline } from '../charts/Sparkline.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { isLive, StateBadge } from '../components/StateBadge.js';
import { formatAge, formatInteger } from '../lib/format.js';
import { FirstRun } from './FirstRun.js';
import { shownName } from '../lib/shown.js';

function TrainerCard({ trainer }: { trainer: LocalTrainerStatus }) {
  if (trainer.state === 'ready') {
    const v = trainer.version;
    const accel = v.cuda_available ? `${v.device_count} CUDA device${v.device_count === 1 ? '' : 's'}` : 'CPU';
    return (
      <section className="card" aria-labelledby="trainer-heading">
        <h2 id="trainer-heading">This machine</h2>
        <p className="status status-ok">Trainer ready</p>
        <dl className="facts">
          <dt>Trainer</dt>
          <dd data-testid="trainer-version">{trainer.versionLine}</dd>
          <dt>LibTorch</dt>
          <dd>{v.libtorch}</dd>
          <dt>Compute</dt>
          <dd>{accel}</dd>
          <dt>Binary</dt>
          <dd className="mono">{trainer.path}</dd>
        </dl>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="trainer-heading">
      <h2 id="trainer-heading">This machine</h2>
      <p className="status status-bad">{trainer.state === 'missing' ? 'Trainer not built' : 'Trainer not working'}</p>
      {trainer.state === 'broken' && <p>{trainer.message}</p>}
      <p className="hint">{trainer.hint}</p>
    </section>
  );
}

function About({ info }: { info: AppInfo }) {
  return (
    <section className="card" aria-labelledby="about-heading">
      <h2 id="about-heading">Workbench</h2>
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="workbench-version">{info.workbenchVersion}</dd>
        <dt>Running as</dt>
        <dd>{info.transport === 'electron' ? 'Desktop app' : 'Browser mode (127.0.0.1)'}</dd>
        <dt>Data folder</dt>
        <dd className="mono">{info.dataDir}</dd>
      </dl>
    </section>
  );
}

/** The landing page: what is training now, what ran lately, and whether This machine is ready. */
export function OverviewPage() {
  const [info, reload] = useRequest('app:info', {});
  const { runs } = useRuns();
  const nodes = useNodes();
  const now = useNow(30_000);
  const nodeName = (id: string): string => nodes?.find((n) => n.id === id)?.name ?? id;
  const live = (runs ?? []).filter((r) => isLive(r.state));
  const recent = (runs ?? []).filter((r) => !isLive(r.state)).slice(0, 6);
  const trainerReady = info.status === 'ok' && info.value.trainer.state === 'ready';
  return (
    <div className="page">
      <header className="page-header">
        <h1>Overview</h1>
        {runs && runs.length > 0 && (
          <div className="actions">
            <Link className="button primary" to="/launch">
              Launch a run
            </Link>
          </div>
        )}
      </header>
      {runs && runs.length === 0 && <FirstRun trainerReady={info.status !== 'ok' || trainerReady} />}
      {live.length > 0 && (
        <section aria-labelledby="live-h" className="overview-section">
          <h2 id="live-h">Training now</h2>
          <ul className="run-cards">
            {live.map((r) => (
              <li key={r.id} className="card run-card">
                <Link to={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
                  {shownName(r.name)}
                </Link>
                <StateBadge state={r.state} />
                <p className="subtle small">
                  {r.preset} on {nodeName(r.nodeId)} · step {formatInteger(r.lastStep)} · started{' '}
                  {formatAge(r.startedAt ?? r.createdAt, now)}
                </p>
                <Sparkline runId={r.id} refreshKey={r.lastStep} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {recent.length > 0 && (
        <section aria-labelledby="recent-h" className="overview-section">
          <div className="section-bar">
            <h2 id="recent-h">Recent runs</h2>
            <Link to="/history">All runs</Link>
          </div>
          <ul className="run-cards">
            {recent.map((r) => (
              <li key={r.id} className="card run-card">
                <Link to={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
                  {shownName(r.name)}
                </Link>
                <StateBadge state={r.state} />
                <p className="subtle small">
                  {r.preset} on {nodeName(r.nodeId)} · {formatInteger(r.lastStep)} steps · {formatAge(r.createdAt, now)}
                </p>
                <Sparkline runId={r.id} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {info.status === 'loading' && <p aria-busy="true">Checking the trainer…</p>}
      {info.status === 'error' && <ErrorNotice error={info.error} onRetry={reload} />}
      {info.status === 'ok' && (
        <div className="grid overview-section">
          <TrainerCard trainer={info.value.trainer} />
          <About info={info.value} />
        </div>
      )}
    </div>
  );
}

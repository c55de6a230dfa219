import type { AppInfo, LocalTrainerStatus } from '../../../electron/contract/app.js';
import { useRequest } from '../app/api-context.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

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

/** The landing page: is the embedded default ready to train? */
export function OverviewPage() {
  const [info, reload] = useRequest('app:info', {});
  return (
    <div className="page">
      <header className="page-header">
        <h1>Overview</h1>
      </header>
      {info.status === 'loading' && <p aria-busy="true">Checking the trainer…</p>}
      {info.status === 'error' && <ErrorNotice error={info.error} onRetry={reload} />}
      {info.status === 'ok' && (
        <div className="grid">
          <TrainerCard trainer={info.value.trainer} />
          <About info={info.value} />
        </div>
      )}
    </div>
  );
}

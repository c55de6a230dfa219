import { useState } from 'react';
import type { WorkbenchError } from '../../../electron/contract/errors.js';
import { useApi, useRequest } from '../app/api-context.js';
import { Link, useRouter } from '../app/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

/** The smallest preset the trainer ships (the one that learns visibly on a laptop CPU). */
export function tinyPreset(names: string[]): string | null {
  return names.find((n) => n.endsWith('-tiny')) ?? names[0] ?? null;
}

/** The empty state: what a new user does first, in one click. */
export function FirstRun({ trainerReady = true }: { trainerReady?: boolean }) {
  const api = useApi();
  const { navigate } = useRouter();
  const [presets] = useRequest('config:presets', {});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const list = presets.status === 'ok' ? presets.value : [];
  const preset = tinyPreset(list.map((p) => p.name));
  const info = list.find((p) => p.name === preset);
  const launch = (): void => {
    if (!preset) return;
    setBusy(true);
    setError(null);
    api.invoke('runs:launch', { nodeId: 'local', preset, tags: ['first-run'] }).then(
      ({ run }) => navigate(`/runs/${encodeURIComponent(run.id)}`),
      (e: WorkbenchError) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <section className="empty-state hero" aria-labelledby="first-run-h" data-testid="first-run">
      <h2 id="first-run-h">Launch your first run on This machine</h2>
      <p>
        {preset ? (
          <>
            <strong>{preset}</strong> {info?.description ? `— ${info.description}` : ''}
          </>
        ) : (
          'The trainer ships tiny presets that learn visibly on a laptop CPU in minutes.'
        )}
      </p>
      <p className="hint">
        You will see the loss fall and the experts’ load settle live; stop it whenever you like and it stays in your
        history.
      </p>
      <div className="actions">
        <button type="button" className="button primary" disabled={!preset || busy || !trainerReady} onClick={launch}>
          {busy ? 'Launching…' : `Launch ${preset ?? 'a tiny run'} on This machine`}
        </button>
        <Link className="button" to={preset ? `/launch?preset=${encodeURIComponent(preset)}` : '/launch'}>
          Customise it first
        </Link>
      </div>
      {!trainerReady && <p className="hint">The trainer is not built yet; see “This machine” below.</p>}
      {error && <ErrorNotice error={error} />}
    </section>
  );
}

import { useEffect, useState } from 'react';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { SshConfigHosts } from '../../../../electron/contract/sshconfig.js';
import { useApi } from '../../app/api-context.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';

/** Adds nodes from the hosts of ~/.ssh/config; each keeps its alias, so ssh config changes apply. */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const [data, setData] = useState<SshConfigHosts | null>(null);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.invoke('sshconfig:hosts', {}).then(setData, setError);
  }, [api]);
  const importChosen = async (): Promise<void> => {
    setBusy(true);
    try {
      for (const alias of chosen) await api.invoke('nodes:add', { name: alias, host: alias });
      onClose();
    } catch (e) {
      setError(e as WorkbenchError);
      setBusy(false);
    }
  };
  return (
    <Dialog open title="Import from ~/.ssh/config" onClose={onClose}>
      {error && <ErrorNotice error={error} />}
      {!data && !error && <p aria-busy="true">Reading your SSH config…</p>}
      {data && data.hosts.length === 0 && (
        <p>
          No concrete <code>Host</code> entries in <code>{data.path}</code>. Add a node by hand instead.
        </p>
      )}
      {data && data.hosts.length > 0 && (
        <>
          <p className="hint small">
            From <code>{data.path}</code>. Imported nodes keep the alias, so HostName, User, Port, IdentityFile and
            ProxyJump come from your config each time.
          </p>
          <ul className="import-list" aria-label="Hosts in your SSH config">
            {data.hosts.map((h) => (
              <li key={h.alias}>
                <label className="check">
                  <input
                    type="checkbox"
                    disabled={h.nodeId !== null}
                    checked={h.nodeId !== null || chosen.includes(h.alias)}
                    onChange={(e) =>
                      setChosen((c) => (e.target.checked ? [...c, h.alias] : c.filter((x) => x !== h.alias)))
                    }
                  />
                  <strong>{h.alias}</strong>
                </label>
                <span className="mono muted small">
                  {' '}
                  {h.user}@{h.host}
                  {h.port !== 22 ? `:${h.port}` : ''}
                  {h.via ? ` via ${h.via}` : ''}
                  {h.nodeId !== null ? ' · already a node' : ''}
                </span>
                {h.warnings.length > 0 && (
                  <ul className="warnings small">
                    {h.warnings.map((w) => (
                      <li key={w}>{w}</li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
          {data.warnings.length > 0 && (
            <ul className="warnings small">
              {data.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button primary"
          disabled={busy || chosen.length === 0}
          onClick={() => void importChosen()}
        >
          {busy ? 'Importing…' : `Import ${chosen.length || ''} host${chosen.length === 1 ? '' : 's'}`}
        </button>
      </div>
    </Dialog>
  );
}

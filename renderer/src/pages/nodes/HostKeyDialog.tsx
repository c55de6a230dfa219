import { useState } from 'react';
import type { HostKeyDetails } from '../../../../electron/contract/error-details.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi } from '../../app/api-context.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';

/** The host-key facts of an error, when it is about a host key. */
export function hostKeyProblem(e: WorkbenchError): HostKeyDetails | null {
  if (e.code !== 'ssh_host_key_unknown' && e.code !== 'ssh_host_key_changed') return null;
  const d = e.details;
  return d && d.kind === 'host_key' ? d : null;
}

/**
 * An unknown host key: shown by its SHA256 fingerprint, to be compared out of band, then trusted and the
 * action retried. A changed or revoked key is a refusal with what to check; it is never offered as "accept".
 */
export function HostKeyDialog({
  error,
  onClose,
  onTrusted,
}: {
  error: WorkbenchError;
  onClose: () => void;
  onTrusted: () => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [trustError, setTrustError] = useState<WorkbenchError | null>(null);
  const d = hostKeyProblem(error);
  if (!d) return null;
  const where = `${d.host}${d.port !== 22 ? `:${d.port}` : ''}`;
  const hop = d.hop !== undefined ? ` (jump host ${d.hop + 1} on the way)` : '';
  if (d.status !== 'unknown') {
    return (
      <Dialog
        open
        title={`Refused: the host key of ${where} ${d.status === 'revoked' ? 'is revoked' : 'has changed'}`}
        tone="danger"
        onClose={onClose}
      >
        <div className="hostkey refusal" data-testid="hostkey-refusal">
          <p>
            <strong>{where}</strong>
            {hop} presented a {d.status === 'revoked' ? 'revoked' : 'different'} key. The workbench stopped before
            sending any credential.
          </p>
          <dl className="facts">
            <dt>Key type</dt>
            <dd className="mono">{d.keyType}</dd>
            <dt>Presented fingerprint</dt>
            <dd className="mono">{d.fingerprint}</dd>
            {d.recordedAt && (
              <>
                <dt>On record at</dt>
                <dd className="mono">{d.recordedAt}</dd>
              </>
            )}
          </dl>
          <p>
            This happens when a node was reinstalled, and also when someone intercepts the connection. Ask the node’s
            administrator for its current fingerprint (
            <code>
              ssh-keygen -lf /etc/ssh/ssh_host_
              {d.keyType.replace(/^ssh-|^ecdsa-sha2-nistp\d+$/, (m) => (m.startsWith('ecdsa') ? 'ecdsa' : ''))}_key.pub
            </code>{' '}
            on the node). Only if it matches, remove the old line{d.recordedAt ? ` (${d.recordedAt})` : ''} and connect
            again.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
        </div>
      </Dialog>
    );
  }
  const trust = (): void => {
    setBusy(true);
    api
      .invoke('nodes:trust-host-key', { host: d.host, port: d.port, key: d.key, fingerprint: d.fingerprint })
      .then(onTrusted, (e: WorkbenchError) => {
        setBusy(false);
        setTrustError(e);
      });
  };
  return (
    <Dialog open title={`First connection to ${where}`} onClose={onClose}>
      <div className="hostkey" data-testid="hostkey-unknown">
        <p>
          The workbench has never seen this host{hop}. Check that the fingerprint below is the one your administrator
          gives you (or that <code>ssh-keygen -lf</code> prints on the node) before trusting it.
        </p>
        <dl className="facts">
          <dt>Host</dt>
          <dd className="mono">{where}</dd>
          <dt>Key type</dt>
          <dd className="mono">{d.keyType}</dd>
          <dt>Fingerprint</dt>
          <dd className="mono fingerprint" data-testid="hostkey-fingerprint">
            {d.fingerprint}
          </dd>
        </dl>
        {d.otherKnownKeyTypes?.length ? (
          <p className="status status-warn">
            This host is on record with other key types ({d.otherKnownKeyTypes.join(', ')}): be extra careful.
          </p>
        ) : null}
        {trustError && <ErrorNotice error={trustError} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" className="button primary" disabled={busy} onClick={trust}>
            {busy ? 'Trusting…' : 'The fingerprint matches: trust and connect'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

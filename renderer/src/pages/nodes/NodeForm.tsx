import { useId, useState } from 'react';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { NodeProfile } from '../../../../electron/contract/nodes.js';
import { useApi } from '../../app/api-context.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';

type Fields = {
  name: string;
  host: string;
  port: string;
  user: string;
  identityFile: string;
  proxyJump: string;
  python: string;
};

/** Adds an SSH node by hand, or edits one. */
export function NodeForm({
  node,
  onClose,
  onSaved,
}: {
  node: NodeProfile | null;
  onClose: () => void;
  onSaved: (n: NodeProfile) => void;
}) {
  const api = useApi();
  const [f, setF] = useState<Fields>({
    name: node?.name ?? '',
    host: node?.host ?? '',
    port: node?.port ? String(node.port) : '',
    user: node?.user ?? '',
    identityFile: node?.identityFile ?? '',
    proxyJump: node?.proxyJump ?? '',
    python: node?.python ?? '',
  });
  const [error, setError] = useState<WorkbenchError | null>(null);
  const ids = {
    name: useId(),
    host: useId(),
    port: useId(),
    user: useId(),
    key: useId(),
    jump: useId(),
    python: useId(),
  };
  const set = (k: keyof Fields) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.value });
  const opt = (v: string): string | null => (v.trim() ? v.trim() : null);
  const submit = (): void => {
    const fields = {
      name: f.name.trim() || f.host.trim(),
      host: f.host.trim(),
      port: f.port.trim() ? Number(f.port) : null,
      user: opt(f.user),
      identityFile: opt(f.identityFile),
      proxyJump: opt(f.proxyJump),
      python: opt(f.python),
    };
    const done = (n: NodeProfile): void => onSaved(n);
    if (node) api.invoke('nodes:update', { id: node.id, ...fields }).then(done, setError);
    else api.invoke('nodes:add', fields).then(done, setError);
  };
  return (
    <Dialog open title={node ? `Edit ${node.name}` : 'Add an SSH node'} onClose={onClose}>
      <form
        className="node-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="field-grid two">
          <div className="field">
            <label htmlFor={ids.host}>Host</label>
            <input
              id={ids.host}
              required
              value={f.host}
              onChange={set('host')}
              placeholder="gpu1.lab.example or an ~/.ssh/config alias"
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor={ids.name}>Name</label>
            <input id={ids.name} value={f.name} onChange={set('name')} placeholder="shown in lists" />
          </div>
          <div className="field">
            <label htmlFor={ids.user}>User</label>
            <input id={ids.user} value={f.user} onChange={set('user')} placeholder="your local user name" />
          </div>
          <div className="field">
            <label htmlFor={ids.port}>Port</label>
            <input id={ids.port} inputMode="numeric" value={f.port} onChange={set('port')} placeholder="22" />
          </div>
          <div className="field">
            <label htmlFor={ids.key}>Private key file</label>
            <input
              id={ids.key}
              value={f.identityFile}
              onChange={set('identityFile')}
              placeholder="~/.ssh/id_ed25519 (or your agent)"
            />
          </div>
          <div className="field">
            <label htmlFor={ids.jump}>Jump hosts (ProxyJump)</label>
            <input
              id={ids.jump}
              value={f.proxyJump}
              onChange={set('proxyJump')}
              placeholder="me@bastion:2222,gateway"
            />
          </div>
          <div className="field">
            <label htmlFor={ids.python}>Python with PyTorch</label>
            <input id={ids.python} value={f.python} onChange={set('python')} placeholder="python3" />
          </div>
        </div>
        <p className="hint small">
          The workbench never stores a password or passphrase here; it asks when it needs one.
        </p>
        {error && <ErrorNotice error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary">
            {node ? 'Save' : 'Add node'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

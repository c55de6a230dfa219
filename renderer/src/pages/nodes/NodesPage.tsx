import { useState } from 'react';
import type { NodeProfile } from '../../../../electron/contract/nodes.js';
import { useApi, useRequest } from '../../app/api-context.js';
import { useNodes } from '../../app/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { NodeCard } from './NodeCard.js';
import { ImportDialog } from './ImportDialog.js';
import { NodeForm } from './NodeForm.js';

/** The machines runs go to: This machine and SSH nodes; test, deploy, add, edit. */
export function NodesPage() {
  const api = useApi();
  const nodes = useNodes();
  const [info] = useRequest('app:info', {});
  const [editing, setEditing] = useState<NodeProfile | 'new' | null>(null);
  const [removing, setRemoving] = useState<NodeProfile | null>(null);
  const [importing, setImporting] = useState(false);
  return (
    <div className="page" data-testid="nodes-page">
      <header className="page-header">
        <div>
          <h1>Nodes</h1>
          <p className="subtle">
            Where runs train. The workbench connects over SSH, builds the trainer there, and starts runs that survive
            the app closing.
          </p>
        </div>
        <div className="actions">
          <button type="button" className="button" onClick={() => setImporting(true)}>
            Import from ~/.ssh/config
          </button>
          <button type="button" className="button primary" onClick={() => setEditing('new')}>
            Add SSH node
          </button>
        </div>
      </header>
      {nodes === null ? (
        <p aria-busy="true">Loading nodes…</p>
      ) : (
        <div className="node-list">
          {nodes.map((n) => (
            <NodeCard
              key={n.id}
              node={n}
              trainer={n.kind === 'local' && info.status === 'ok' ? info.value.trainer : undefined}
              onEdit={() => setEditing(n)}
              onRemove={() => setRemoving(n)}
            />
          ))}
          {nodes.every((n) => n.kind === 'local') && (
            <section className="empty-state">
              <h2>No GPU nodes yet</h2>
              <p>
                Import the hosts of your <code>~/.ssh/config</code>, or add a machine by hand: its host name, user and
                key. Test it, deploy the trainer, then pick it in the launch wizard.
              </p>
            </section>
          )}
        </div>
      )}
      {importing && <ImportDialog onClose={() => setImporting(false)} />}
      {editing && (
        <NodeForm
          node={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => setEditing(null)}
        />
      )}
      <Dialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? ''}?`}
        tone="danger"
        onClose={() => setRemoving(null)}
      >
        <p>The node’s profile goes; its runs stay in your history. Nothing on the node is deleted.</p>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setRemoving(null)} autoFocus>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            onClick={() => {
              if (removing) void api.invoke('nodes:remove', { id: removing.id }).finally(() => setRemoving(null));
            }}
          >
            Remove
          </button>
        </div>
      </Dialog>
    </div>
  );
}

import { useId, useState } from 'react';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { RunSummary } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { TagEditor } from '../../components/TagEditor.js';

/** Edits a run's name, tags and notes. */
export function EditRunDialog({
  run,
  onClose,
  onSaved,
}: {
  run: RunSummary;
  onClose: () => void;
  onSaved: () => void;
}) {
  const api = useApi();
  const [name, setName] = useState(run.name);
  const [tags, setTags] = useState(run.tags);
  const [notes, setNotes] = useState(run.notes);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const nameId = useId();
  const notesId = useId();
  return (
    <Dialog open title={`Edit ${run.name}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api.invoke('runs:update', { runId: run.id, name, tags, notes }).then(onSaved, setError);
        }}
      >
        <label htmlFor={nameId}>Name</label>
        <input id={nameId} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        <TagEditor tags={tags} onChange={setTags} />
        <label htmlFor={notesId}>Notes</label>
        <textarea id={notesId} rows={5} value={notes} onChange={(e) => setNotes(e.target.value)} />
        {error && <ErrorNotice error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

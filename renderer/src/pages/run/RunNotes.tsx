import { useEffect, useId, useState } from 'react';
import type { RunSummary } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { TagEditor } from '../../components/TagEditor.js';

/** Tags and notes of a run, saved as they are edited (notes on blur). */
export function RunNotes({ run }: { run: RunSummary }) {
  const api = useApi();
  const [notes, setNotes] = useState(run.notes);
  const [saved, setSaved] = useState<'idle' | 'saving' | 'saved' | 'error'>('idle');
  const notesId = useId();
  useEffect(() => setNotes(run.notes), [run.notes]);
  const save = (patch: { tags?: string[]; notes?: string }): void => {
    setSaved('saving');
    api.invoke('runs:update', { runId: run.id, ...patch }).then(
      () => setSaved('saved'),
      () => setSaved('error'),
    );
  };
  return (
    <div className="card notes-card">
      <TagEditor tags={run.tags} onChange={(tags) => save({ tags })} />
      <label htmlFor={notesId}>Notes</label>
      <textarea
        id={notesId}
        rows={3}
        value={notes}
        placeholder="What is this run testing? What did you see?"
        onChange={(e) => setNotes(e.target.value)}
        onBlur={() => notes !== run.notes && save({ notes })}
      />
      <p className="hint small" role="status">
        {saved === 'saving'
          ? 'Saving…'
          : saved === 'saved'
            ? 'Saved'
            : saved === 'error'
              ? 'Could not save; try again'
              : ''}
      </p>
    </div>
  );
}

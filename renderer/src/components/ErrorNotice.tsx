import type { WorkbenchError } from '../../../electron/contract/errors.js';

/** A service error as a person should see it: what happened, then what to do next. */
export function ErrorNotice({ error, onRetry }: { error: WorkbenchError; onRetry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{error.message}</p>
      {error.hint && <p className="notice-hint">{error.hint}</p>}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

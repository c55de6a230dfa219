import { useId } from 'react';
import type { EvalEveryForm } from './eval-every.js';

/** Evaluate the run's checkpoints every N tokens: held-out loss (native) or lm-eval tasks. */
export function EvalEveryFields({
  form,
  onChange,
  error,
}: {
  form: EvalEveryForm;
  onChange: (f: EvalEveryForm) => void;
  error: string | null;
}) {
  const id = useId();
  const on = form.tokens.trim() !== '';
  return (
    <div
      className={`field-grid eval-every${error ? ' field-invalid' : ''}`}
      role="group"
      aria-label="Evaluate during the run"
    >
      <div className="field">
        <label htmlFor={`${id}-tokens`}>Evaluate every</label>
        <div className="field-input">
          <input
            id={`${id}-tokens`}
            type="text"
            spellCheck={false}
            placeholder="off"
            value={form.tokens}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-err` : undefined}
            onChange={(e) => onChange({ ...form, tokens: e.target.value.trim() })}
          />
          <span className="field-suffix">tokens</span>
        </div>
        <p className="field-help">
          Evaluates the first checkpoint past each multiple (keep checkpoints that often); empty = off.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-kind`}>Evaluation</label>
        <select
          id={`${id}-kind`}
          value={form.kind}
          disabled={!on}
          onChange={(e) => onChange({ ...form, kind: e.target.value as EvalEveryForm['kind'] })}
        >
          <option value="native">Held-out loss (native)</option>
          <option value="lm-eval">lm-eval tasks</option>
        </select>
      </div>
      {on && form.kind === 'lm-eval' && (
        <div className="field">
          <label htmlFor={`${id}-tasks`}>lm-eval tasks</label>
          <input
            id={`${id}-tasks`}
            type="text"
            spellCheck={false}
            placeholder="arc_easy, hellaswag"
            value={form.tasks}
            onChange={(e) => onChange({ ...form, tasks: e.target.value })}
          />
        </div>
      )}
      {on && (
        <div className="field">
          <label htmlFor={`${id}-limit`}>{form.kind === 'lm-eval' ? 'Documents per task' : 'Evaluation tokens'}</label>
          <input
            id={`${id}-limit`}
            type="text"
            inputMode="numeric"
            placeholder="default"
            value={form.limit}
            onChange={(e) => onChange({ ...form, limit: e.target.value.trim() })}
          />
        </div>
      )}
      {error && (
        <p id={`${id}-err`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

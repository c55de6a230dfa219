import { useId } from 'react';
import type { FlagSpec, PlanIssue } from '../../../../electron/contract/config.js';
import { firstSentence } from '../../lib/format.js';

/** Props shared by the wizard's fields. */
export interface FieldProps {
  flag: string;
  label: string;
  value: string;
  overridden: boolean;
  spec?: FlagSpec | undefined;
  issue?: PlanIssue | undefined;
  onChange: (value: string) => void;
  onReset: () => void;
  /** Shown after the input (units). */
  suffix?: string;
  /** Extra help below the field. */
  help?: string;
  /** Force a widget; by default choices become a select and booleans a checkbox. */
  kind?: 'text' | 'select' | 'bool';
  choices?: { value: string; label: string }[];
  disabled?: boolean;
}

function rangeText(spec: FlagSpec): string | null {
  if (spec.min === null && spec.max === null) return null;
  const lo = spec.min === null ? '(-∞' : `${spec.minExclusive ? '(' : '['}${spec.min}`;
  const hi = spec.max === null || spec.max > 1e15 ? '∞)' : `${spec.max}${spec.maxExclusive ? ')' : ']'}`;
  return `${lo}, ${hi}`;
}

/**
 * One trainer flag as a form field: its label, the flag name, the trainer's own help and range, a marker
 * and reset when it differs from the preset, and the trainer's error for it, linked for screen readers.
 */
export function FlagField(p: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const helpId = `${id}-help`;
  const kind = p.kind ?? (p.spec?.type === 'bool' ? 'bool' : p.spec?.choices.length || p.choices ? 'select' : 'text');
  const choices = p.choices ?? p.spec?.choices.map((c) => ({ value: c, label: c })) ?? [];
  const range = p.spec ? rangeText(p.spec) : null;
  const help = p.help ?? p.spec?.help;
  const describedBy = [p.issue ? errId : null, helpId].filter(Boolean).join(' ');
  return (
    <div
      className={`field${p.issue ? ' field-invalid' : ''}${p.overridden ? ' field-changed' : ''}`}
      data-flag={p.flag}
    >
      <div className="field-head">
        <label htmlFor={id}>{p.label}</label>
        {p.overridden && (
          <button
            type="button"
            className="link-button small"
            onClick={p.onReset}
            aria-label={`Reset ${p.label} to the preset`}
          >
            reset
          </button>
        )}
      </div>
      <div className="field-input">
        {kind === 'bool' ? (
          <input
            id={id}
            type="checkbox"
            checked={p.value === 'true'}
            disabled={p.disabled}
            onChange={(e) => p.onChange(e.target.checked ? 'true' : 'false')}
            aria-invalid={p.issue ? true : undefined}
            aria-describedby={describedBy}
          />
        ) : kind === 'select' ? (
          <select
            id={id}
            value={p.value}
            disabled={p.disabled}
            onChange={(e) => p.onChange(e.target.value)}
            aria-invalid={p.issue ? true : undefined}
            aria-describedby={describedBy}
          >
            {!choices.some((c) => c.value === p.value) && <option value={p.value}>{p.value}</option>}
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={id}
            type="text"
            inputMode={p.spec && (p.spec.type === 'int' || p.spec.type === 'float') ? 'decimal' : undefined}
            spellCheck={false}
            value={p.value}
            disabled={p.disabled}
            onChange={(e) => p.onChange(e.target.value.trim())}
            aria-invalid={p.issue ? true : undefined}
            aria-describedby={describedBy}
          />
        )}
        {p.suffix && <span className="field-suffix">{p.suffix}</span>}
      </div>
      {p.issue && (
        <p id={errId} className="field-error" role="alert">
          {p.issue.message}
          {p.issue.hint ? ` — ${p.issue.hint}` : ''}
        </p>
      )}
      <p id={helpId} className="field-help" title={help ? `${help}${range ? ` Range ${range}.` : ''}` : undefined}>
        <code className="field-flag">--{p.flag}</code>
        {help ? ` ${firstSentence(help)}` : ''}
      </p>
    </div>
  );
}

import { useState } from 'react';
import type { FlagSpec, PlanIssue } from '../../../../electron/contract/config.js';
import { FlagField, type FieldProps } from './FlagField.js';
import { MixEditor } from './MixEditor.js';

/** Flags the data section lays out itself. */
export const dataFlags = [
  'data',
  'data-mix',
  'data-mix-phase2',
  'phase2-start-steps',
  'phase2-start-tokens',
  'token-dtype',
  'val-every',
  'val-tokens',
  'val-data',
] as const;

/** What the data section needs from the wizard. */
export interface DataSectionProps {
  bind: (flag: string, label: string, extra?: Partial<FieldProps>) => FieldProps;
  set: (flag: string, value: string | null) => void;
  issues: PlanIssue[];
  extraData: FlagSpec[];
}

const starts = [
  { value: 'auto', label: 'the decay start' },
  { value: 'steps', label: 'after step' },
  { value: 'tokens', label: 'after tokens' },
] as const;
type StartUnit = (typeof starts)[number]['value'];

const DEFAULT_MIX = 'synthetic:arithmetic=1,synthetic:grammar=1';

/** The data card: one source or a weighted mixture, an optional second-phase mixture, validation. */
export function DataSection({ bind, set, issues, extraData }: DataSectionProps) {
  const issue = (flag: string) => issues.find((i) => i.flag === flag);
  const data = bind('data', 'Training data');
  const mix = bind('data-mix', 'Mixture').value;
  const phase2 = bind('data-mix-phase2', 'Phase 2 mixture').value;
  const stepsStart = bind('phase2-start-steps', 'Phase 2 start').value;
  const tokensStart = bind('phase2-start-tokens', 'Phase 2 start').value;
  // A start given as a value decides the unit (also when "launch similar" fills it in); else the user's choice.
  const valueUnit: StartUnit | null =
    tokensStart && tokensStart !== 'auto' ? 'tokens' : stepsStart && stepsStart !== 'auto' ? 'steps' : null;
  const [chosenUnit, setUnit] = useState<StartUnit>('auto');
  const unit = valueUnit ?? chosenUnit;
  const mixed = mix !== '';
  const synthetic = data.value === 'synthetic';
  const startValue = unit === 'tokens' ? tokensStart : unit === 'steps' ? stepsStart : '';
  const startIssue = issue('phase2-start-steps') ?? issue('phase2-start-tokens');

  const setStart = (u: StartUnit, v: string): void => {
    set('phase2-start-steps', u === 'steps' && v !== '' ? v : null);
    set('phase2-start-tokens', u === 'tokens' && v !== '' ? v : null);
  };

  return (
    <fieldset className="card">
      <legend>Data</legend>
      <div className="field data-mode">
        <span className="field-label" id="data-mode">
          Training data from
        </span>
        <div className="segmented" role="radiogroup" aria-labelledby="data-mode">
          <button
            type="button"
            role="radio"
            aria-checked={!mixed}
            className={!mixed ? 'active' : ''}
            onClick={() => set('data-mix', null)}
          >
            Single source
          </button>
          <button
            type="button"
            role="radio"
            aria-checked={mixed}
            className={mixed ? 'active' : ''}
            onClick={() => {
              if (mixed) return;
              set('data', null);
              set('data-mix', DEFAULT_MIX);
            }}
          >
            Mixture
          </button>
        </div>
      </div>
      {mixed ? (
        <MixEditor
          label="Phase 1 mixture"
          flag="data-mix"
          value={mix}
          onChange={(v) => set('data-mix', v)}
          issue={issue('data-mix') ?? issue('data')}
        />
      ) : (
        <div className="field-grid">
          <FlagField
            {...data}
            kind="select"
            choices={[
              { value: 'synthetic', label: 'Synthetic corpus (built in)' },
              ...(synthetic
                ? [{ value: '', label: 'A token file…' }]
                : [{ value: data.value, label: `Token file: ${data.value || '(path below)'}` }]),
            ]}
          />
          {!synthetic && (
            <FlagField {...bind('data', 'Token file path')} help="A file of uint16/uint32 token ids on the node." />
          )}
        </div>
      )}

      <div className="field phase2-toggle">
        <label>
          <input
            type="checkbox"
            checked={phase2 !== ''}
            onChange={(e) => {
              if (e.target.checked) set('data-mix-phase2', mixed ? mix : DEFAULT_MIX);
              else {
                set('data-mix-phase2', null);
                setStart('auto', '');
                setUnit('auto');
              }
            }}
          />{' '}
          Switch to a second mixture (phase 2) later in the run
        </label>
      </div>
      {phase2 !== '' && (
        <>
          <MixEditor
            label="Phase 2 mixture"
            flag="data-mix-phase2"
            value={phase2}
            onChange={(v) => set('data-mix-phase2', v)}
            issue={issue('data-mix-phase2')}
          />
          <div className={`field phase2-start${startIssue ? ' field-invalid' : ''}`}>
            <span className="field-label" id="phase2-start-label">
              Phase 2 starts at
            </span>
            <div className="field-input">
              <select
                aria-label="Phase 2 starts at"
                value={unit}
                onChange={(e) => {
                  const u = e.target.value as StartUnit;
                  setUnit(u);
                  setStart(u, startValue);
                }}
              >
                {starts.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
              {unit !== 'auto' && (
                <input
                  aria-label={unit === 'steps' ? 'Phase 2 start step' : 'Phase 2 start tokens'}
                  type="text"
                  inputMode="decimal"
                  spellCheck={false}
                  value={startValue === 'auto' ? '' : startValue}
                  placeholder="empty: the decay start"
                  onChange={(e) => setStart(unit, e.target.value.trim())}
                />
              )}
            </div>
            {startIssue && (
              <p className="field-error" role="alert">
                {startIssue.message}
                {startIssue.hint ? ` — ${startIssue.hint}` : ''}
              </p>
            )}
            <p className="field-help">
              <code className="field-flag">--phase2-start-{unit === 'tokens' ? 'tokens' : 'steps'}</code> The chart
              above marks the switch; sources in both phases continue where they left off.
            </p>
          </div>
        </>
      )}

      <div className="field-grid">
        {!mixed && !synthetic && <FlagField {...bind('token-dtype', 'Token width')} />}
        {mixed && <FlagField {...bind('token-dtype', 'Token width')} help="Of every token file in the mixtures." />}
        <FlagField {...bind('val-every', 'Validate every')} suffix="steps" />
        <FlagField
          {...bind('val-tokens', 'Validation tokens')}
          help={mixed ? 'Per source of the mixtures.' : undefined}
        />
        <FlagField
          {...bind('val-data', 'Validation file')}
          help={
            mixed
              ? 'Empty: each source’s own held-out data (loss per source).'
              : synthetic
                ? 'Empty: the synthetic corpus’s held-out documents.'
                : 'Empty: the last --val-tokens tokens of the training file, held out.'
          }
        />
        {extraData.map((f) => (
          <FlagField key={f.name} {...bind(f.name, f.name)} />
        ))}
      </div>
      {(synthetic || mixed) && (
        <p className="hint small">
          The built-in corpus has four domains (arithmetic, bracket matching, copying and a small grammar), so experts
          can specialise by domain; the Experts view of a run shows where each domain’s tokens go.
        </p>
      )}
    </fieldset>
  );
}

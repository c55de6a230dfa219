import { useId } from 'react';
import type { PlanIssue } from '../../../../electron/contract/config.js';
import { buildMix, parseMix, shares, syntheticDomains, type MixRow } from './mix.js';

/** Props of the mixture editor: the flag's value and where to write it back. */
export interface MixEditorProps {
  /** Accessible name of the editor, e.g. "Phase 1 mixture". */
  label: string;
  flag: 'data-mix' | 'data-mix-phase2';
  value: string;
  onChange: (value: string) => void;
  issue?: PlanIssue | undefined;
}

function nextDomain(rows: MixRow[]): string {
  const used = new Set(rows.filter((r) => r.kind === 'synthetic').map((r) => r.source));
  return syntheticDomains.find((d) => !used.has(d)) ?? syntheticDomains[0];
}

/** Rows of source and weight with each source's normalised share; writes `--data-mix`'s syntax. */
export function MixEditor({ label, flag, value, onChange, issue }: MixEditorProps) {
  const id = useId();
  const rows = parseMix(value);
  const share = shares(rows);
  const write = (next: MixRow[]): void => onChange(buildMix(next));
  const update = (i: number, patch: Partial<MixRow>): void =>
    write(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div
      className={`mix-editor${issue ? ' field-invalid' : ''}`}
      role="group"
      aria-label={label}
      data-flag={flag}
      data-value={value}
    >
      <table className="table compact mix-table" aria-label={`${label} sources`}>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Source</th>
            <th scope="col">Weight</th>
            <th scope="col">Share</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const n = i + 1;
            return (
              <tr key={i}>
                <td>
                  <select
                    aria-label={`Source ${n} kind`}
                    value={r.kind}
                    onChange={(e) =>
                      update(
                        i,
                        e.target.value === 'synthetic'
                          ? { kind: 'synthetic', source: nextDomain(rows) }
                          : { kind: 'file', source: '' },
                      )
                    }
                  >
                    <option value="synthetic">Synthetic domain</option>
                    <option value="file">Token file</option>
                  </select>
                </td>
                <td>
                  {r.kind === 'synthetic' ? (
                    <select
                      aria-label={`Source ${n} domain`}
                      value={r.source}
                      onChange={(e) => update(i, { source: e.target.value })}
                    >
                      {!(syntheticDomains as readonly string[]).includes(r.source) && (
                        <option value={r.source}>{r.source}</option>
                      )}
                      {syntheticDomains.map((d) => (
                        <option key={d} value={d}>
                          {d}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      aria-label={`Source ${n} path`}
                      type="text"
                      spellCheck={false}
                      placeholder="/data/tokens.u16"
                      value={r.source}
                      onChange={(e) => update(i, { source: e.target.value.trim().replace(/,/g, '') })}
                    />
                  )}
                </td>
                <td>
                  <input
                    aria-label={`Source ${n} weight`}
                    className="mix-weight"
                    type="text"
                    inputMode="decimal"
                    value={r.weight}
                    onChange={(e) => update(i, { weight: e.target.value.trim().replace(/[,=]/g, '') })}
                  />
                </td>
                <td className="num" data-testid={`${flag}-share-${n}`}>
                  {share[i] === null ? '—' : `${(share[i]! * 100).toFixed(1)}%`}
                </td>
                <td>
                  <button
                    type="button"
                    className="link-button small"
                    aria-label={`Remove source ${n} from ${label}`}
                    disabled={rows.length <= 1}
                    onClick={() => write(rows.filter((_, j) => j !== i))}
                  >
                    remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="mix-actions">
        <button
          type="button"
          className="button small"
          onClick={() => write([...rows, { kind: 'synthetic', source: nextDomain(rows), weight: '1' }])}
        >
          Add a source to {label}
        </button>
      </div>
      {issue && (
        <p id={`${id}-err`} className="field-error" role="alert">
          {issue.message}
          {issue.hint ? ` — ${issue.hint}` : ''}
        </p>
      )}
      <p className="field-help">
        <code className="field-flag">--{flag}</code> Weights are normalised to sum to 1; each source holds out its own
        validation data.
      </p>
    </div>
  );
}

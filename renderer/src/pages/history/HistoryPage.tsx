import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { HistoryRun } from '../../../../electron/contract/history.js';
import { runStates, type RunState } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { useEvent, useNodes, useNow } from '../../app/hooks.js';
import { Link, useRouter } from '../../app/router.js';
import { LineageBadge } from '../../components/LineageBadge.js';
import { StateBadge } from '../../components/StateBadge.js';
import { formatAge, formatCount, formatDateTime, formatInteger, formatValue } from '../../lib/format.js';
import { defaultQuery, filterRuns, type RunQuery, type SortKey } from '../../lib/run-filter.js';
import { EditRunDialog } from './EditRunDialog.js';
import { FirstRun } from '../FirstRun.js';
import { shownName, shownText } from '../../lib/shown.js';

const columns: { key: SortKey | null; label: string; num?: boolean }[] = [
  { key: 'name', label: 'Run' },
  { key: 'state', label: 'State' },
  { key: null, label: 'Node · preset' },
  { key: 'created', label: 'Created' },
  { key: 'step', label: 'Step', num: true },
  { key: 'tokens', label: 'Tokens', num: true },
  { key: 'loss', label: 'Loss', num: true },
  { key: 'valLoss', label: 'Val loss', num: true },
];

function dayStart(value: string): number | null {
  if (!value) return null;
  const t = new Date(`${value}T00:00:00`).getTime();
  return Number.isFinite(t) ? t / 1000 : null;
}

/** Every run: search, filter, sort, tag and annotate, and pick runs to compare. */
export function HistoryPage() {
  const api = useApi();
  const { navigate } = useRouter();
  const nodes = useNodes();
  const now = useNow(30_000);
  const [runs, setRuns] = useState<HistoryRun[] | null>(null);
  const [q, setQ] = useState<RunQuery>(defaultQuery);
  const [fromDate, setFromDate] = useState('');
  const [toDate, setToDate] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [editing, setEditing] = useState<HistoryRun | null>(null);
  const searchId = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(() => {
    api.invoke('history:runs', {}).then(setRuns, () => setRuns([]));
  }, [api]);
  useEffect(load, [load]);
  // Changes arrive in bursts while runs train; re-read at most every couple of seconds.
  const soon = (): void => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      load();
    }, 1500);
  };
  useEvent('runs:changed', soon);
  useEvent('metrics:appended', soon);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (
        e.key === '/' &&
        document.activeElement?.tagName !== 'INPUT' &&
        document.activeElement?.tagName !== 'TEXTAREA'
      ) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const nodeNames = useMemo(() => Object.fromEntries((nodes ?? []).map((n) => [n.id, n.name])), [nodes]);
  const query: RunQuery = { ...q, from: dayStart(fromDate), to: toDate ? (dayStart(toDate) ?? 0) + 86400 : null };
  const queryKey = JSON.stringify(query);
  const shown = useMemo(
    () => (runs ? filterRuns(runs, JSON.parse(queryKey) as RunQuery, nodeNames) : []),
    [runs, queryKey, nodeNames],
  );
  const presets = useMemo(
    () => [...new Set((runs ?? []).map((r) => r.preset).filter((p): p is string => !!p))].sort(),
    [runs],
  );

  if (runs === null) return <p aria-busy="true">Loading runs…</p>;
  if (runs.length === 0) {
    return (
      <div className="page">
        <header className="page-header">
          <h1>Runs</h1>
        </header>
        <FirstRun />
      </div>
    );
  }

  const toggle = (id: string): void => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const sortBy = (key: SortKey): void =>
    setQ((p) => ({ ...p, sort: key, descending: p.sort === key ? !p.descending : key === 'created' }));
  const toggleState = (s: RunState): void =>
    setQ((p) => ({ ...p, states: p.states.includes(s) ? p.states.filter((x) => x !== s) : [...p.states, s] }));

  return (
    <div className="page" data-testid="history-page">
      <header className="page-header">
        <div>
          <h1>Runs</h1>
          <p className="subtle">
            {shown.length === runs.length
              ? `${runs.length} run${runs.length === 1 ? '' : 's'}`
              : `${shown.length} of ${runs.length} runs`}
          </p>
        </div>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={selected.length < 2}
            onClick={() => navigate(`/compare?runs=${selected.map(encodeURIComponent).join(',')}`)}
          >
            Compare {selected.length >= 2 ? `${selected.length} runs` : 'runs'}
          </button>
        </div>
      </header>
      <div className="filters card" role="search">
        <div className="field search-field">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            ref={searchRef}
            type="search"
            value={q.text}
            placeholder="name, tag:baseline, lr=3e-3, bfloat16 …  (press / to focus)"
            onChange={(e) => setQ({ ...q, text: e.target.value })}
          />
        </div>
        <fieldset className="state-filter">
          <legend>State</legend>
          {runStates.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={q.states.includes(s)} onChange={() => toggleState(s)} />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="filter-node">Node</label>
          <select
            id="filter-node"
            value={q.nodeId ?? ''}
            onChange={(e) => setQ({ ...q, nodeId: e.target.value || null })}
          >
            <option value="">All nodes</option>
            {(nodes ?? []).map((n) => (
              <option key={n.id} value={n.id}>
                {shownName(n.name)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-preset">Preset</label>
          <select
            id="filter-preset"
            value={q.preset ?? ''}
            onChange={(e) => setQ({ ...q, preset: e.target.value || null })}
          >
            <option value="">All presets</option>
            {presets.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-from">From</label>
          <input id="filter-from" type="date" value={fromDate} onChange={(e) => setFromDate(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="filter-to">To</label>
          <input id="filter-to" type="date" value={toDate} onChange={(e) => setToDate(e.target.value)} />
        </div>
      </div>
      <div className="table-wrap">
        <table className="table runs-table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Select to compare</span>
              </th>
              {columns.map((c) => (
                <th
                  key={c.label}
                  scope="col"
                  className={c.num ? 'num' : undefined}
                  aria-sort={c.key && q.sort === c.key ? (q.descending ? 'descending' : 'ascending') : undefined}
                >
                  {c.key ? (
                    <button type="button" className="sort-button" onClick={() => sortBy(c.key!)}>
                      {c.label}
                      <span aria-hidden="true">{q.sort === c.key ? (q.descending ? ' ▼' : ' ▲') : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
              <th scope="col">Tags and notes</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id} className={selected.includes(r.id) ? 'selected' : undefined} data-run-id={r.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${r.name} to compare`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </td>
                <td>
                  <Link to={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
                    {shownName(r.name)}
                  </Link>
                  <div className="mono muted small">{r.id}</div>
                  <LineageBadge run={r} parentName={runs?.find((p) => p.id === r.parentRunId)?.name} />
                </td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>
                  {shownName(nodeNames[r.nodeId] ?? r.nodeId)}
                  <div className="muted small">
                    {r.preset ?? 'custom'}
                    {Object.keys(r.overrides).length ? ` +${Object.keys(r.overrides).length}` : ''}
                  </div>
                </td>
                <td title={formatDateTime(r.createdAt)}>{formatAge(r.createdAt, now)}</td>
                <td className="num">{formatInteger(r.lastStep)}</td>
                <td className="num">{formatCount(r.tokens)}</td>
                <td className="num">{formatValue(r.lastLoss)}</td>
                <td className="num">{formatValue(r.lastValLoss)}</td>
                <td className="tags-cell">
                  {r.tags.map((t) => (
                    <span key={t} className="tag">
                      {shownName(t)}
                    </span>
                  ))}
                  {r.notes && <span className="note-preview">{shownText(r.notes)}</span>}
                  <button
                    type="button"
                    className="link-button small"
                    onClick={() => setEditing(r)}
                    aria-label={`Edit tags and notes of ${r.name}`}
                  >
                    edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p className="empty-row">No run matches. Clear the search or the filters.</p>}
      </div>
      {editing && (
        <EditRunDialog
          run={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            load();
          }}
        />
      )}
    </div>
  );
}

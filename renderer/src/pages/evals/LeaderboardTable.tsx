import { useState } from 'react';
import type { Leaderboard, LeaderboardColumn } from '../../../../electron/contract/evals.js';
import { Link } from '../../app/router.js';
import {
  bestFirstDescending,
  bestInColumn,
  columnKey,
  sortLeaderboard,
  type LeaderboardSort,
} from '../../lib/leaderboard.js';
import { formatCount, formatInteger, formatValue } from '../../lib/format.js';

/** Checkpoints of every run against every evaluated (task, metric), sortable by any column; the best of each column marked. */
export function LeaderboardTable({ board: full }: { board: Leaderboard }) {
  const [perplexity, setPerplexity] = useState(false);
  const hasPpl = full.columns.some((c) => c.metric === 'ppl');
  // Perplexity is exp(loss): shown on request only, so the table stays readable.
  const board = { ...full, columns: orderColumns(full.columns.filter((c) => perplexity || c.metric !== 'ppl')) };
  const first = board.columns[0];
  const [sort, setSort] = useState<{ by: LeaderboardSort; descending: boolean }>(() => {
    const by = first ? columnKey(first) : 'step';
    return { by, descending: bestFirstDescending(board.columns, by) };
  });
  const rows = sortLeaderboard(board.rows, sort.by, sort.descending);
  const best = new Map(board.columns.map((c) => [columnKey(c), bestInColumn(board.rows, c)]));
  const sortBy = (by: LeaderboardSort): void =>
    setSort((s) =>
      s.by === by ? { by, descending: !s.descending } : { by, descending: bestFirstDescending(board.columns, by) },
    );
  const header = (by: LeaderboardSort, label: React.ReactNode, num: boolean, title?: string) => (
    <th
      key={by}
      scope="col"
      className={num ? 'num' : undefined}
      aria-sort={sort.by === by ? (sort.descending ? 'descending' : 'ascending') : undefined}
      title={title}
    >
      <button type="button" className="sort-button" onClick={() => sortBy(by)}>
        {label}
        <span aria-hidden="true">{sort.by === by ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
  return (
    <>
      {hasPpl && (
        <label className="check small leaderboard-option">
          <input type="checkbox" checked={perplexity} onChange={(e) => setPerplexity(e.target.checked)} />
          Show perplexity columns
        </label>
      )}
      <div className="table-wrap">
        <table className="table leaderboard" aria-label="Leaderboard">
          <thead>
            <tr>
              {header('run', 'Run', false)}
              {header('step', 'Step', true)}
              {header('tokens', 'Tokens', true)}
              {board.columns.map((c) =>
                header(
                  columnKey(c),
                  <>
                    {c.task} <span className="muted">{c.metric}</span>
                  </>,
                  true,
                  c.higherIsBetter ? 'higher is better' : 'lower is better',
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.checkpointId} data-checkpoint-id={r.checkpointId} data-run-id={r.runId}>
                <th scope="row">
                  <Link to={`/runs/${encodeURIComponent(r.runId)}/checkpoints`} className="run-link">
                    {r.runName}
                  </Link>
                </th>
                <td className="num">{formatInteger(r.step)}</td>
                <td className="num">{formatCount(r.tokens)}</td>
                {board.columns.map((c) => {
                  const key = columnKey(c);
                  const v = r.scores[key];
                  const isBest = best.get(key) === r.checkpointId && v !== undefined && v !== null;
                  return (
                    <td key={key} className={`num${isBest ? ' best' : ''}`} data-column={key}>
                      {v === undefined || v === null ? <span className="muted">—</span> : formatValue(v)}
                      {isBest && <span className="visually-hidden"> (best)</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Benchmarks first, then the overall native loss, then the per-domain native columns. */
function orderColumns(columns: LeaderboardColumn[]): LeaderboardColumn[] {
  const rank = (c: LeaderboardColumn): number => (!c.task.startsWith('native') ? 0 : c.task === 'native' ? 1 : 2);
  return [...columns].sort((a, b) => rank(a) - rank(b));
}

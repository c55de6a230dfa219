import type { EvalJob, Leaderboard, LeaderboardColumn } from '../../../../electron/contract/evals.js';
import { useRequest } from '../../app/api-context.js';
import { useEvent, useNow, useRuns } from '../../app/hooks.js';
import { Link } from '../../app/router.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { formatAge, formatInteger, formatPercent } from '../../lib/format.js';
import { columnKey, referenceLines } from '../../lib/leaderboard.js';
import { EvalChart } from './EvalChart.js';
import { LeaderboardTable } from './LeaderboardTable.js';

/**
 * The columns worth a chart: every benchmark score, and the overall native loss (perplexity is a
 * function of it, and the per-domain losses stay in the table).
 */
function chartColumns(columns: LeaderboardColumn[]): LeaderboardColumn[] {
  const bench = columns.filter((c) => !c.task.startsWith('native') && !c.metric.endsWith('_stderr'));
  const native = columns.filter((c) => c.task === 'native' && c.metric === 'loss');
  return [...bench, ...native].slice(0, 12);
}

/** The model whose published scores are drawn on the charts. */
const referenceModel = 'JetMoE-8B';

function ColumnChart({ board, column }: { board: Leaderboard; column: LeaderboardColumn }) {
  const runIds = [
    ...new Set(board.rows.filter((r) => r.scores[columnKey(column)] !== undefined).map((r) => r.runId)),
  ].slice(0, 50);
  const [series] = useRequest('evals:series', {
    runIds: runIds.length ? runIds : board.rows.slice(0, 1).map((r) => r.runId),
    task: column.task,
    metric: column.metric,
  });
  if (series.status === 'error') return <ErrorNotice error={series.error} />;
  if (series.status === 'loading') return <p aria-busy="true">Loading {column.task}…</p>;
  return (
    <EvalChart
      column={column}
      series={series.value}
      references={referenceLines(board.reference, column.task, column.metric, [referenceModel])}
    />
  );
}

function JobList({ jobs }: { jobs: EvalJob[] }) {
  const now = useNow();
  const { runs } = useRuns();
  if (!jobs.length) return null;
  return (
    <section className="card" aria-labelledby="jobs-h">
      <h2 id="jobs-h">Recent evaluations</h2>
      <table className="table compact" aria-label="Evaluation jobs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col" className="num">
              Step
            </th>
            <th scope="col">What</th>
            <th scope="col">State</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-job-state={j.state}>
              <td>
                <Link to={`/runs/${encodeURIComponent(j.runId)}/checkpoints`}>
                  {runs?.find((r) => r.id === j.runId)?.name ?? j.runId}
                </Link>
              </td>
              <td className="num">{formatInteger(j.step)}</td>
              <td>
                {j.kind === 'native' ? 'native loss' : j.tasks.join(', ')}
                {j.trigger === 'schedule' ? <span className="muted small"> (scheduled)</span> : null}
              </td>
              <td>
                <span className={j.state === 'failed' ? 'status-bad' : j.state === 'done' ? 'status-ok' : 'muted'}>
                  {j.state}
                </span>
                {j.message && <div className="muted small">{j.message}</div>}
              </td>
              <td>{formatAge(j.endedAt ?? j.startedAt ?? j.createdAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Evaluations across runs: a sortable leaderboard of checkpoints, score-versus-tokens charts with JetMoE-8B's
 * published scores, and recent jobs.
 */
export function EvaluationsPage() {
  const [board, reloadBoard] = useRequest('evals:leaderboard', {});
  const [jobs, reloadJobs] = useRequest('evals:jobs', { limit: 20 });
  useEvent('evals:changed', ({ job }) => {
    reloadJobs();
    if (job.state === 'done' || job.state === 'failed') reloadBoard();
  });

  return (
    <div className="page" data-testid="evaluations-page">
      <header className="page-header">
        <div>
          <h1>Evaluations</h1>
          <p className="subtle">
            Held-out loss and benchmark scores of checkpoints, across runs, against the scores JetMoE-8B reported.
          </p>
        </div>
      </header>
      {board.status === 'error' && <ErrorNotice error={board.error} onRetry={reloadBoard} />}
      {board.status === 'loading' && <p aria-busy="true">Loading the leaderboard…</p>}
      {board.status === 'ok' && board.value.rows.length === 0 && (
        <div className="empty-state">
          <h2>No evaluations yet</h2>
          <p>
            Open a run, go to its <strong>Checkpoints</strong> tab and choose <strong>Evaluate…</strong> on a
            checkpoint: the held-out loss per data domain takes seconds on the tiny preset; benchmark tasks (HellaSwag,
            ARC, MMLU …) need lm-evaluation-harness and the task data on the node.
          </p>
          <div className="actions">
            <Link className="button primary" to="/history">
              Choose a run
            </Link>
          </div>
        </div>
      )}
      {board.status === 'ok' && board.value.rows.length > 0 && (
        <>
          <section aria-label="Leaderboard" className="overview-section">
            <LeaderboardTable board={board.value} />
          </section>
          <section aria-label="Scores by training tokens" className="overview-section">
            <h2>By training tokens</h2>
            <div className="chart-grid">
              {chartColumns(board.value.columns).map((c) => (
                <ColumnChart key={columnKey(c)} board={board.value} column={c} />
              ))}
            </div>
          </section>
        </>
      )}
      {board.status === 'ok' && board.value.reference.models.length > 0 && (
        <details className="card reference-card">
          <summary>Published scores for comparison</summary>
          <p className="hint small">{board.value.reference.source}</p>
          <table className="table compact" aria-label="Published scores">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Active</th>
                <th scope="col">Tokens</th>
                {board.value.reference.benchmarks.map((b) => (
                  <th key={b.key} scope="col" className="num" title={`${b.task} ${b.metric}, ${b.fewshot}-shot`}>
                    {b.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {board.value.reference.models.map((m) => (
                <tr key={m.model}>
                  <th scope="row">{m.model}</th>
                  <td>{m.active}</td>
                  <td>{m.tokens}</td>
                  {board.value.reference.benchmarks.map((b) => (
                    <td key={b.key} className="num">
                      {m.scores[b.key] === undefined ? '—' : formatPercent(m.scores[b.key]!, 3)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      {jobs.status === 'ok' && <JobList jobs={jobs.value} />}
    </div>
  );
}

import { useId, useState } from 'react';
import type { CheckpointInfo } from '../../../../electron/contract/checkpoints.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import type { EvalJob, EvalProgress, EvalResult, EvalRunRequest } from '../../../../electron/contract/evals.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';
import { Link } from '../../app/router.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { asWorkbenchError } from '../../lib/errors.js';
import { formatInteger, formatValue } from '../../lib/format.js';

/** The lm-evaluation-harness tasks offered as checkboxes (JetMoE's table reports these). */
export const harnessTasks: { task: string; label: string }[] = [
  { task: 'hellaswag', label: 'HellaSwag' },
  { task: 'arc_easy', label: 'ARC-Easy' },
  { task: 'arc_challenge', label: 'ARC-Challenge' },
  { task: 'mmlu', label: 'MMLU' },
  { task: 'winogrande', label: 'WinoGrande' },
  { task: 'gsm8k', label: 'GSM8K' },
  { task: 'piqa', label: 'PIQA' },
  { task: 'boolq', label: 'BoolQ' },
];

const taskPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Evaluate a checkpoint: native held-out loss per data domain and/or lm-evaluation-harness tasks, with progress and results. */
export function EvaluateDialog({
  checkpoint,
  runName,
  onClose,
}: {
  checkpoint: CheckpointInfo;
  runName: string;
  onClose: () => void;
}) {
  const api = useApi();
  const [native, setNative] = useState(true);
  const [harness, setHarness] = useState(false);
  const [tasks, setTasks] = useState<string[]>(['arc_easy', 'hellaswag']);
  const [extraTasks, setExtraTasks] = useState('');
  const [tasksDir, setTasksDir] = useState('');
  const [limitText, setLimitText] = useState('');
  const [jobs, setJobs] = useState<EvalJob[]>([]);
  const [progress, setProgress] = useState<Record<number, EvalProgress>>({});
  const [results, setResults] = useState<EvalResult[]>([]);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const ids = { extra: useId(), dir: useId(), limit: useId() };

  const extra = extraTasks.split(/[\s,]+/).filter(Boolean);
  const badTask = extra.find((t) => !taskPattern.test(t));
  const allTasks = [...new Set([...tasks, ...extra])];
  const limit = limitText.trim() === '' ? null : Number(limitText);
  const limitBad = limit !== null && !(Number.isInteger(limit) && limit >= 1);
  const problem =
    !native && !harness
      ? 'Choose native loss, harness tasks, or both.'
      : harness && allTasks.length === 0
        ? 'Choose at least one harness task.'
        : badTask
          ? `“${badTask}” is not a task name (letters, digits, _ . : -).`
          : limitBad
            ? 'The limit is a whole number of at least 1, or empty for all.'
            : null;

  const loadResults = (): void => {
    api
      .invoke('evals:list', { checkpointId: checkpoint.id })
      .then(setResults, (e: unknown) => setError(asWorkbenchError(e)));
  };
  useEvent('evals:progress', (p) => {
    if (jobs.some((j) => j.id === p.jobId)) setProgress((o) => ({ ...o, [p.jobId]: p }));
  });
  useEvent('evals:changed', ({ job }) => {
    if (!jobs.some((j) => j.id === job.id)) return;
    setJobs((list) => list.map((j) => (j.id === job.id ? job : j)));
    if (job.state === 'done' || job.state === 'failed') loadResults();
  });

  const submit = (): void => {
    if (problem || submitting) return;
    setSubmitting(true);
    setError(null);
    const common = { checkpointId: checkpoint.id, ...(limit !== null ? { limit } : {}) };
    const requests: EvalRunRequest[] = [];
    if (native) requests.push({ ...common, kind: 'native' });
    if (harness)
      requests.push({
        ...common,
        kind: 'lm-eval',
        tasks: allTasks,
        ...(tasksDir.trim() ? { localTasksDir: tasksDir.trim() } : {}),
      });
    Promise.all(requests.map((r) => api.invoke('evals:run', r))).then(
      (started) => {
        setJobs(started);
        setSubmitting(false);
        // A job may finish before its events could be matched to it here.
        Promise.all(started.map((j) => api.invoke('evals:job', { jobId: j.id }))).then(setJobs, () => undefined);
        loadResults();
      },
      (e: unknown) => {
        setSubmitting(false);
        setError(asWorkbenchError(e));
      },
    );
  };

  const toggleTask = (t: string): void =>
    setTasks((list) => (list.includes(t) ? list.filter((x) => x !== t) : [...list, t]));
  const started = jobs.length > 0;
  return (
    <Dialog open title={`Evaluate step ${formatInteger(checkpoint.step)}`} onClose={onClose} wide>
      <p className="hint small">
        {runName}, checkpoint at step {formatInteger(checkpoint.step)}. Evaluations run on the run’s node; scores land
        in the Evaluations leaderboard.
      </p>
      {!started ? (
        <form
          aria-label="Evaluation settings"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <fieldset className="inline-fields">
            <legend>What to measure</legend>
            <label className="check">
              <input type="checkbox" checked={native} onChange={(e) => setNative(e.target.checked)} />
              Held-out loss and perplexity, overall and per data domain (<code>moetrain eval</code>)
            </label>
            <label className="check">
              <input type="checkbox" checked={harness} onChange={(e) => setHarness(e.target.checked)} />
              lm-evaluation-harness tasks (the checkpoint is exported to Hugging Face format first)
            </label>
          </fieldset>
          {harness && (
            <fieldset className="inline-fields">
              <legend>Harness tasks</legend>
              <div className="task-grid">
                {harnessTasks.map((t) => (
                  <label key={t.task} className="check">
                    <input type="checkbox" checked={tasks.includes(t.task)} onChange={() => toggleTask(t.task)} />
                    {t.label} <span className="muted mono small">{t.task}</span>
                  </label>
                ))}
              </div>
              <div className="field">
                <label htmlFor={ids.extra}>Other tasks</label>
                <input
                  id={ids.extra}
                  value={extraTasks}
                  placeholder="e.g. openbookqa, my_task"
                  onChange={(e) => setExtraTasks(e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor={ids.dir}>Local tasks folder on the node</label>
                <input
                  id={ids.dir}
                  value={tasksDir}
                  placeholder="/data/lm-eval-tasks"
                  onChange={(e) => setTasksDir(e.target.value)}
                />
                <p className="field-help">
                  Task YAML files the harness should also know (its --include-path); the data sets must be on the node,
                  which has no internet.
                </p>
              </div>
            </fieldset>
          )}
          <div className="field">
            <label htmlFor={ids.limit}>Limit</label>
            <input
              id={ids.limit}
              value={limitText}
              inputMode="numeric"
              placeholder="all"
              aria-invalid={limitBad ? true : undefined}
              onChange={(e) => setLimitText(e.target.value.trim())}
            />
            <p className="field-help">
              Documents per harness task; validation tokens for the native loss. Empty: everything.
            </p>
          </div>
          {problem && <p className="field-error">{problem}</p>}
          {error && <ErrorNotice error={error} />}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={problem !== null || submitting}>
              {submitting ? 'Queuing…' : 'Evaluate'}
            </button>
          </div>
        </form>
      ) : (
        <div>
          <ul className="plain job-list" aria-label="Evaluation jobs">
            {jobs.map((j) => (
              <li key={j.id} data-job-state={j.state}>
                <strong>{j.kind === 'native' ? 'Native loss' : `Harness: ${j.tasks.join(', ')}`}</strong>{' '}
                <span className={j.state === 'failed' ? 'status-bad' : j.state === 'done' ? 'status-ok' : 'muted'}>
                  {j.state}
                </span>
                {(j.state === 'queued' || j.state === 'running') && (
                  <div className="op-progress" role="status">
                    <span>{progress[j.id]?.message ?? 'Waiting for the node…'}</span>
                    <progress aria-label={`Evaluation ${j.id} progress`} />
                  </div>
                )}
                {j.message && <p className={j.state === 'failed' ? 'status-bad small' : 'muted small'}>{j.message}</p>}
              </li>
            ))}
          </ul>
          {error && <ErrorNotice error={error} />}
          {results.length > 0 && <ResultTable results={results} />}
          <div className="dialog-actions">
            <Link className="button" to="/evaluations">
              Open the leaderboard
            </Link>
            <button type="button" className="button primary" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** Scores of one checkpoint: a row per task, a column per metric. */
function ResultTable({ results }: { results: EvalResult[] }) {
  const metrics = [...new Set(results.map((r) => r.metric))].filter((m) => !m.endsWith('_stderr'));
  const tasks = [...new Set(results.map((r) => r.task))];
  const value = (task: string, metric: string): number | null | undefined =>
    results.find((r) => r.task === task && r.metric === metric)?.value;
  return (
    <table className="table compact" aria-label="Evaluation results">
      <thead>
        <tr>
          <th scope="col">Task</th>
          {metrics.map((m) => (
            <th key={m} scope="col" className="num">
              {m}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t}>
            <td className="mono">{t}</td>
            {metrics.map((m) => (
              <td key={m} className="num">
                {formatValue(value(t, m))}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import { posix } from 'node:path';
import type { CheckpointInfo } from '../../contract/checkpoints.js';
import type { EvalProgress } from '../../contract/evals.js';
import { ServiceError } from '../errors.js';
import type { ExecResult, NodeHandle } from '../nodes/node.js';
import { shellQuote } from '../util/shell-quote.js';
import type { Score, StoredJob } from './eval-store.js';

/** Where the tools of an evaluation are on the node. */
export interface EvalTools {
  /** The moetrain binary. */
  trainer: string;
  /** native/scripts/lm_eval_run.py of the deployed sources. */
  lmEvalScript: string;
  /** A Python with lm-evaluation-harness (null: find one on the node). */
  python: string | null;
  /** Aborts the evaluation's commands (the workbench is closing). */
  signal?: AbortSignal;
}

/** What one evaluation produced. */
export interface EvalOutcome {
  scores: Score[];
  /** The tool's own JSON output, kept with the job. */
  output: string;
  message: string;
}

type Progress = (phase: EvalProgress['phase'], message: string) => void;

/** Validation tokens for a native evaluation of a run that had validation switched off. */
const defaultValTokens = 16_384;

function tail(r: ExecResult): string {
  const text = (r.stderr.toString('utf8') + '\n' + r.stdout.toString('utf8')).trim();
  return text.split('\n').slice(-4).join(' ').slice(-800);
}

/** The last line of stdout as a JSON object. */
function lastJson(r: ExecResult, what: string): Record<string, unknown> {
  const lines = r.stdout.toString('utf8').trim().split('\n');
  try {
    const v = JSON.parse(lines[lines.length - 1] ?? '') as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ServiceError(
    'trainer_failed',
    `${what} did not print a JSON result: ${tail(r)}`,
    'Run the command on the node by hand to see what it says.',
  );
}

/** `moetrain eval --json`: loss and perplexity overall and per data domain. */
export async function runNative(
  node: NodeHandle,
  tools: EvalTools,
  checkpoint: CheckpointInfo,
  job: StoredJob,
  runValTokens: number,
  progress: Progress,
): Promise<EvalOutcome> {
  const valTokens = job.limit ?? (runValTokens > 0 ? null : defaultValTokens);
  const argv = [
    tools.trainer,
    'eval',
    '--checkpoint',
    checkpoint.remotePath,
    '--json',
    ...(valTokens ? [`--val-tokens=${valTokens}`] : []),
  ];
  progress('evaluate', `moetrain eval on step ${checkpoint.step}`);
  const r = await node.exec(argv, { timeoutMs: 6 * 3_600_000, ...(tools.signal ? { signal: tools.signal } : {}) });
  if (r.code !== 0) {
    throw new ServiceError(
      'trainer_failed',
      `\`moetrain eval\` exited with ${r.code ?? r.signal}: ${tail(r)}`,
      r.code === 2
        ? 'Fix the option it names (a --val-tokens limit, or validation data).'
        : 'Verify the checkpoint (`moewb checkpoints verify`).',
    );
  }
  const out = lastJson(r, '`moetrain eval --json`');
  const scores: Score[] = [];
  const add = (task: string, loss: unknown): void => {
    const l = typeof loss === 'number' ? loss : null;
    scores.push({ task, metric: 'loss', value: l }, { task, metric: 'ppl', value: l === null ? null : Math.exp(l) });
  };
  add('native', out.loss);
  const byDomain = (out.by_domain ?? {}) as Record<string, unknown>;
  for (const [domain, loss] of Object.entries(byDomain)) add(`native/${domain}`, loss);
  return {
    scores,
    output: r.stdout.toString('utf8').trim(),
    message:
      `loss ${typeof out.loss === 'number' ? out.loss.toFixed(4) : 'n/a'} over ${String(out.tokens_evaluated)} tokens, ` +
      `${Object.keys(byDomain).length} domains`,
  };
}

/** The deployed sources' resolver and installer of the managed Python environment. */
function pythonEnvScript(tools: EvalTools): string {
  return posix.join(posix.dirname(tools.lmEvalScript), 'python_env.sh');
}

/**
 * A Python with lm-evaluation-harness on the node: the configured one, else the managed venv that the deployed
 * sources' own resolver names (native/scripts/python_env.sh path), else python3.
 */
async function findPython(node: NodeHandle, tools: EvalTools): Promise<string> {
  if (tools.python) return tools.python;
  const script =
    `p="$(bash ${shellQuote(pythonEnvScript(tools))} path 2>/dev/null)/bin/python"; ` +
    '[ -x "$p" ] && { echo "$p"; exit 0; }; command -v python3';
  const r = await node.exec(['sh', '-c', script], { timeoutMs: 30_000 });
  const found = r.stdout.toString('utf8').trim().split('\n')[0];
  if (!found)
    throw new ServiceError(
      'unavailable',
      'There is no Python on the node to run lm-evaluation-harness.',
      "Set the node's Python (a venv with torch and lm-eval).",
    );
  return found;
}

/** `moetrain export-hf` into `<run-dir>/exports/step-N` (kept for the next evaluation), then lm_eval_run.py. */
export async function runLmEval(
  node: NodeHandle,
  tools: EvalTools,
  checkpoint: CheckpointInfo,
  runDir: string,
  job: StoredJob,
  device: string,
  progress: Progress,
): Promise<EvalOutcome> {
  const out = posix.join(runDir, 'exports', posix.basename(checkpoint.remotePath));
  const marker = posix.join(out, 'model.safetensors');
  if ((await node.stat(marker)) === null || (await node.stat(posix.join(out, 'config.json'))) === null) {
    progress('export', `exporting step ${checkpoint.step} to ${out}`);
    await node.mkdirp(posix.dirname(out));
    const r = await node.exec(
      [tools.trainer, 'export-hf', '--checkpoint', checkpoint.remotePath, '--out', out, '--force'],
      { timeoutMs: 3_600_000, ...(tools.signal ? { signal: tools.signal } : {}) },
    );
    if (r.code !== 0) {
      throw new ServiceError(
        'trainer_failed',
        `\`moetrain export-hf\` exited with ${r.code ?? r.signal}: ${tail(r)}`,
        r.code === 2
          ? 'Fix the option it names.'
          : 'Verify the checkpoint (`moewb checkpoints verify`), or deploy a trainer with export-hf.',
      );
    }
  } else {
    progress('export', `reusing the export in ${out}`);
  }
  const python = await findPython(node, tools);
  const resultFile = posix.join(runDir, 'evals', `job-${job.id}.json`);
  await node.mkdirp(posix.dirname(resultFile));
  const args = [
    python,
    tools.lmEvalScript,
    '--model',
    out,
    '--tasks',
    job.tasks.join(','),
    '--device',
    device,
    '--output',
    resultFile,
    ...(job.limit ? ['--limit', String(job.limit)] : []),
    // Local task files need no downloads; offline mode keeps the harness from trying the network.
    ...(job.localTasksDir ? ['--include-path', job.localTasksDir, '--offline'] : []),
  ];
  progress('evaluate', `lm-evaluation-harness: ${job.tasks.join(', ')}`);
  // HF_DATASETS_CACHE in the run directory: the harness's dataset cache stays with the run, writable.
  const script =
    `cd ${shellQuote(runDir)} && exec env HF_DATASETS_CACHE=${shellQuote(posix.join(runDir, 'evals', 'hf-datasets'))} ` +
    args.map(shellQuote).join(' ');
  const r = await node.exec(['sh', '-c', script], {
    timeoutMs: 24 * 3_600_000,
    ...(tools.signal ? { signal: tools.signal } : {}),
  });
  if (r.code !== 0) {
    throw new ServiceError(
      'trainer_failed',
      `lm-evaluation-harness exited with ${r.code ?? r.signal}: ${tail(r)}`,
      r.code === 2
        ? `Install lm-eval into the node's managed Python: bash ${pythonEnvScript(tools)} ensure --for eval`
        : 'Check the task names (and --local-tasks folder).',
    );
  }
  const summary = lastJson(r, 'lm_eval_run.py');
  const results = (summary.results ?? {}) as Record<string, Record<string, unknown>>;
  const scores: Score[] = [];
  for (const [task, metrics] of Object.entries(results)) {
    for (const [metric, value] of Object.entries(metrics)) {
      if (typeof value === 'number' || value === null)
        scores.push({ task, metric, value: value !== null && Number.isFinite(value) ? value : null });
    }
  }
  if (scores.length === 0)
    throw new ServiceError(
      'trainer_failed',
      'lm-evaluation-harness reported no scores.',
      'Check the task names and the --limit.',
    );
  const nSamples = (summary.n_samples ?? {}) as Record<string, unknown>;
  const head = Object.entries(results).map(([t, m]) => {
    const score =
      ['acc_norm', 'acc', 'exact_match']
        .map((k) => (typeof m[k] === 'number' ? `${k}=${(m[k] as number).toFixed(4)}` : ''))
        .find(Boolean) ?? '';
    return `${t} ${score} (n=${String(nSamples[t] ?? '?')})`;
  });
  return { scores, output: JSON.stringify({ summary, resultFile }), message: head.join('; ') };
}

import { InvalidArgumentError, type Command } from 'commander';
import type { CheckpointInfo } from '../contract/checkpoints.js';
import { WorkbenchError } from '../contract/errors.js';
import type { EvalEverySetting, EvalJob, Leaderboard } from '../contract/evals.js';
import type { CliClient } from './client.js';
import type { CliIo } from './program.js';

type WithClient = <A extends unknown[]>(
  action: (client: CliClient, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
}

/** Integers with the trainer's suffixes: 4096, 16k, 10M, 1.25B. */
function count(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKMGBT]?)$/.exec(value.trim());
  const scale: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, B: 1e9, T: 1e12 };
  const n = m ? Number(m[1]) * (scale[m[2] ?? ''] ?? 1) : NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('a positive whole number, e.g. 5000, 16k, 10M or 1.25B');
  return n;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * A checkpoint given as its id (`12` or `id:12`) or as `RUN@STEP` (`r-20261129-a1b2c3@400`); with a
 * run given elsewhere on the command line, a bare number is a step of that run.
 */
export async function checkpointId(c: CliClient, ref: string, runId?: string): Promise<number> {
  const id = /^(?:id:)?(\d+)$/.exec(ref);
  if (id && (runId === undefined || ref.startsWith('id:'))) return Number(id[1]);
  const m = /^(r-\d{8}-[0-9a-f]{6})[@:](\d+)$/.exec(runId !== undefined && id ? `${runId}@${ref}` : ref);
  if (!m) {
    throw new WorkbenchError({
      code: 'invalid_request',
      message: `"${ref}" is not a checkpoint.`,
      hint: 'Give its id or RUN@STEP, as `moewb checkpoints list RUN` prints them.',
    });
  }
  const all = await c.call('checkpoints:list', { runId: m[1] as string });
  const matches = all.filter((x) => x.step === Number(m[2]));
  const found = matches.find((x) => x.status === 'complete') ?? matches[matches.length - 1];
  if (!found)
    throw new WorkbenchError({
      code: 'not_found',
      message: `Run ${m[1]} has no checkpoint at step ${m[2]}.`,
      hint: `See \`moewb checkpoints list ${m[1]}\`.`,
    });
  return found.id;
}

function size(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const fmt = (v: number | null, digits = 4): string => (v === null ? '-' : v.toFixed(digits));

/** The ledger as a table. */
export function checkpointsTable(rows: CheckpointInfo[]): string {
  const lines = rows.map((c) =>
    [
      String(c.id).padEnd(5),
      String(c.step).padStart(8),
      String(c.tokens ?? '-').padStart(12),
      size(c.bytes).padStart(9),
      String(c.attempt).padStart(3),
      fmt(c.loss).padStart(8),
      fmt(c.valLoss).padStart(8),
      (c.status + (c.newest ? '*' : '')).padEnd(9),
      (c.reason ?? '-').padEnd(8),
      c.keptReasons.join(',') || '-',
      c.downloadedPath ?? '',
    ]
      .join('  ')
      .trimEnd(),
  );
  const head = [
    'id'.padEnd(5),
    'step'.padStart(8),
    'tokens'.padStart(12),
    'size'.padStart(9),
    'att',
    'loss'.padStart(8),
    'val'.padStart(8),
    'status'.padEnd(9),
    'reason'.padEnd(8),
    'kept',
    'local copy',
  ].join('  ');
  return [head, ...lines].join('\n') + '\n' + (rows.some((c) => c.newest) ? '(* = newest complete)\n' : '');
}

function jobLine(j: EvalJob): string {
  return `eval job ${j.id} (${j.kind}${j.tasks.length ? `: ${j.tasks.join(',')}` : ''}) of ${j.runId} step ${j.step}: ${j.state}${j.message ? ` — ${j.message}` : ''}\n`;
}

/** The leaderboard as a table: one row per checkpoint, one column per task/metric. */
function leaderboardTable(b: Leaderboard): string {
  const keys = b.columns.map((c) => `${c.task}/${c.metric}`);
  const head = [
    'run'.padEnd(24),
    'step'.padStart(8),
    'tokens'.padStart(12),
    ...keys.map((k) => k.padStart(Math.max(10, k.length))),
  ].join('  ');
  const rows = b.rows.map((r) =>
    [
      r.runName.slice(0, 24).padEnd(24),
      String(r.step).padStart(8),
      String(r.tokens ?? '-').padStart(12),
      ...keys.map((k) => fmt(r.scores[k] ?? null).padStart(Math.max(10, k.length))),
    ].join('  '),
  );
  return [head, ...rows].join('\n') + '\n';
}

/** Options of a run's evaluation schedule on `launch` and `runs fork`. */
export function addEvalEveryOptions(cmd: Command): Command {
  return cmd
    .option('--eval-every-tokens <n>', 'evaluate each checkpoint that crosses a multiple of N training tokens', count)
    .option('--eval-kind <kind>', 'native (loss/ppl per domain) or lm-eval', 'native')
    .option('--eval-tasks <tasks>', 'lm-eval tasks, comma-separated', list, [])
    .option('--eval-limit <n>', 'documents per task (lm-eval) or validation tokens (native)', positiveInt)
    .option('--eval-local-tasks <dir>', 'folder of extra lm-eval task YAML files on the node');
}

/** The evalEvery request field from those options. */
export function evalEveryFrom(o: {
  evalEveryTokens?: number;
  evalKind: string;
  evalTasks: string[];
  evalLimit?: number;
  evalLocalTasks?: string;
}): { evalEvery?: Omit<EvalEverySetting, 'limit' | 'localTasksDir'> & { limit?: number; localTasksDir?: string } } {
  if (o.evalEveryTokens === undefined) return {};
  return {
    evalEvery: {
      tokens: o.evalEveryTokens,
      kind: o.evalKind as EvalEverySetting['kind'],
      tasks: o.evalTasks,
      ...(o.evalLimit ? { limit: o.evalLimit } : {}),
      ...(o.evalLocalTasks ? { localTasksDir: o.evalLocalTasks } : {}),
    },
  };
}

/** `moewb checkpoints ...` and `moewb evals ...`. */
export function addCheckpointCommands(
  program: Command,
  io: CliIo,
  withClient: WithClient,
  json: (v: unknown) => void,
): void {
  const ck = program.command('checkpoints').description('checkpoints of runs: list, verify, delete, download');
  ck.command('list <run>')
    .description("the run's checkpoint ledger")
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, runId: string, o: { json?: boolean }) => {
        const rows = await c.call('checkpoints:list', { runId });
        if (o.json) json(rows);
        else io.out(checkpointsTable(rows));
      }),
    );
  ck.command('verify <checkpoint>')
    .description('check sizes and SHA-1 of its files against the MANIFEST on the node (id or RUN@STEP)')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, ref: string, o: { json?: boolean }) => {
        const r = await c.call('checkpoints:verify', { checkpointId: await checkpointId(c, ref) });
        if (o.json) json(r);
        else
          io.out(
            `${r.ok ? 'ok' : 'CORRUPT'}: ${r.message}\n${r.files.map((f) => `  ${f.ok ? 'ok ' : 'BAD'} ${f.name} ${f.actualBytes ?? 'missing'}/${f.bytes} bytes\n`).join('')}`,
          );
        if (!r.ok) process.exitCode = 1;
      }),
    );
  ck.command('delete <checkpoint>')
    .description('remove it from the node (refused for the newest complete checkpoint of a running run)')
    .action(
      withClient(async (c, ref: string) => {
        const r = await c.call('checkpoints:delete', { checkpointId: await checkpointId(c, ref) });
        io.out(`deleted step ${r.step} of ${r.runId} (${r.remotePath})\n`);
      }),
    );
  ck.command('download <checkpoint>')
    .description('copy it to this machine, verifying every file against the MANIFEST')
    .option('--dest <dir>', 'folder to create (default: <data dir>/checkpoints/<run>/step-N)')
    .action(
      withClient(async (c, ref: string, o: { dest?: string }) => {
        const id = await checkpointId(c, ref);
        let lastFile = '';
        const off = c.on('checkpoints:progress', (p) => {
          if (p.checkpointId !== id || p.operation !== 'download' || p.file === lastFile) return;
          if (p.file) io.out(`[${p.phase}] ${p.message}\n`);
          lastFile = p.file ?? '';
        });
        try {
          const r = await c.call('checkpoints:download', { checkpointId: id, ...(o.dest ? { dest: o.dest } : {}) });
          io.out(
            `downloaded step ${r.checkpoint.step} of ${r.checkpoint.runId}: ${r.files} files, ${size(r.bytes)} verified -> ${r.localPath}\n`,
          );
        } finally {
          off();
        }
      }),
    );

  const ev = program.command('evals').description('evaluations of checkpoints: run, list, leaderboard');
  ev.command('run <checkpoint>')
    .description('evaluate a checkpoint (id or RUN@STEP) and wait for the result')
    .option(
      '--kind <kind>',
      'native (moetrain eval: loss/ppl per domain) or lm-eval (export-hf + lm-evaluation-harness)',
      'native',
    )
    .option('--tasks <tasks>', 'lm-eval tasks, comma-separated', list, [])
    .option('--limit <n>', 'documents per task (lm-eval) or validation tokens (native)', positiveInt)
    .option('--local-tasks <dir>', 'folder of extra lm-eval task YAML files on the node (runs offline)')
    .option('--json', 'print JSON')
    .action(
      withClient(
        async (
          c,
          ref: string,
          o: { kind: string; tasks: string[]; limit?: number; localTasks?: string; json?: boolean },
        ) => {
          if (o.kind !== 'native' && o.kind !== 'lm-eval')
            throw new WorkbenchError({
              code: 'invalid_request',
              message: `Unknown --kind "${o.kind}".`,
              hint: 'Use --kind native or --kind lm-eval.',
            });
          const id = await checkpointId(c, ref);
          const off = c.on('evals:progress', (p) => {
            if (p.checkpointId === id && !o.json) io.out(`[${p.phase}] ${p.message}\n`);
          });
          try {
            const job = await c.call('evals:run', {
              checkpointId: id,
              kind: o.kind,
              tasks: o.tasks,
              wait: true,
              ...(o.limit ? { limit: o.limit } : {}),
              ...(o.localTasks ? { localTasksDir: o.localTasks } : {}),
            });
            if (o.json) json({ job, results: await c.call('evals:list', { checkpointId: id, kind: job.kind }) });
            else io.out(jobLine(job));
            if (job.state === 'failed') process.exitCode = 1;
          } finally {
            off();
          }
        },
      ),
    );
  ev.command('list')
    .description('stored scores')
    .option('--run <run>', 'only this run')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, o: { run?: string; json?: boolean }) => {
        const rows = await c.call('evals:list', o.run ? { runId: o.run } : {});
        if (o.json) json(rows);
        else
          io.out(
            rows
              .map(
                (r) =>
                  `${r.runId}  step ${String(r.step).padStart(8)}  ${r.kind.padEnd(7)}  ${r.task}/${r.metric}  ${fmt(r.value, 6)}\n`,
              )
              .join(''),
          );
      }),
    );
  ev.command('leaderboard')
    .description('checkpoints of every run against tasks, and the published JetMoE-8B scores')
    .option('--tasks <tasks>', 'only these tasks, comma-separated', list)
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, o: { tasks?: string[]; json?: boolean }) => {
        const board = await c.call('evals:leaderboard', o.tasks ? { tasks: o.tasks } : {});
        if (o.json) json(board);
        else io.out(leaderboardTable(board));
      }),
    );
  ev.command('jobs')
    .description('evaluation jobs, newest first')
    .option('--run <run>', 'only this run')
    .action(
      withClient(async (c, o: { run?: string }) => {
        io.out((await c.call('evals:jobs', o.run ? { runId: o.run } : {})).map(jobLine).join(''));
      }),
    );
}

import type { Command } from 'commander';
import { WorkbenchError } from '../../contract/errors.js';
import type { EvalJob, Leaderboard } from '../../contract/evals.js';
import { list, positiveInt } from '../arg-parsers.js';
import { decimals } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { checkpointId } from '../refs.js';

function jobLine(j: EvalJob): string {
  return (
    `eval job ${j.id} (${j.kind}${j.tasks.length ? `: ${j.tasks.join(',')}` : ''}) of ${j.runId} step ${j.step}: ` +
    `${j.state}${j.message ? ` — ${j.message}` : ''}\n`
  );
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
      ...keys.map((k) => decimals(r.scores[k] ?? null).padStart(Math.max(10, k.length))),
    ].join('  '),
  );
  return [head, ...rows].join('\n') + '\n';
}

/** `moewb evals ...`: run evaluations of checkpoints, list their scores, the leaderboard and the jobs. */
export function registerEvalCommands(program: Command, io: CliIo): void {
  const { withClient, json } = commandKit(program, io);
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
                  `${r.runId}  step ${String(r.step).padStart(8)}  ${r.kind.padEnd(7)}  ${r.task}/${r.metric}  ${decimals(r.value, 6)}\n`,
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

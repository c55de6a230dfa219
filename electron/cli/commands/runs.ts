import type { Command } from 'commander';
import { WorkbenchError } from '../../contract/errors.js';
import { collect, keyValue, positiveInt } from '../arg-parsers.js';
import { addEvalEveryOptions, evalEveryFrom, type EvalEveryOpts } from '../eval-every.js';
import { follow } from '../follow.js';
import { runDetail, runsTable } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { checkpointId, nodeId } from '../refs.js';

type ForkOpts = {
  checkpoint: string;
  name?: string;
  set: Record<string, string>;
  forkOptimizer: boolean;
  annealSteps?: number;
  annealTokens?: number;
  decayForm: string;
  minLr?: number;
  dataMix?: string;
  dataMixPhase2?: string;
  tag: string[];
  follow?: boolean;
  json?: boolean;
} & EvalEveryOpts;

/** `moewb launch` and `moewb runs ...`: start, watch, stop, resume and fork training runs. */
export function registerRunCommands(program: Command, io: CliIo): void {
  const { withClient, json } = commandKit(program, io);
  addEvalEveryOptions(program.command('launch'))
    .description('launch a run: resolve and validate the configuration with the trainer, then start it detached')
    .requiredOption('--preset <name>', 'a preset from resources/presets, e.g. jetmoe-tiny')
    .option('--node <node>', 'node id or name', 'local')
    .option('--set <flag=value>', 'override a trainer flag (repeatable), e.g. --set max-steps=200', keyValue, {})
    .option('--name <name>', 'a name for the run')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option('--notes <text>', 'notes')
    .option('--follow', 'stay and print metrics until the run ends (the run keeps going if you quit)')
    .option('--json', 'print the run as JSON')
    .action(
      withClient(
        async (
          c,
          o: {
            preset: string;
            node: string;
            set: Record<string, string>;
            name?: string;
            tag: string[];
            notes?: string;
            follow?: boolean;
            json?: boolean;
          } & EvalEveryOpts,
        ) => {
          const { run, warnings } = await c.call('runs:launch', {
            nodeId: await nodeId(c, o.node),
            preset: o.preset,
            overrides: o.set,
            ...(o.name ? { name: o.name } : {}),
            tags: o.tag,
            notes: o.notes ?? '',
            ...evalEveryFrom(o),
          });
          for (const w of warnings) io.err(`warning: ${w}\n`);
          if (o.json) json(run);
          else
            io.out(
              `launched ${run.id} (${run.name}) on ${run.nodeId}: ${run.state}\n  run directory: ${run.remoteDir}\n`,
            );
          if (o.follow) await follow(c, io, run.id);
        },
      ),
    );

  const runs = program.command('runs').description('training runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--node <node>', 'only runs on this node')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, o: { node?: string; json?: boolean }) => {
        const list = await c.call('runs:list', o.node ? { nodeId: await nodeId(c, o.node) } : {});
        if (o.json) json(list);
        else io.out(runsTable(list));
      }),
    );
  runs
    .command('show <run>')
    .description("read the run directory now and show the run's state, attempts and checkpoints")
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, runId: string, o: { json?: boolean }) => {
        await c.call('runs:refresh', { runId });
        const detail = await c.call('runs:get', { runId });
        if (o.json) json(detail);
        else io.out(runDetail(detail));
      }),
    );
  runs
    .command('tail <run>')
    .description('print metrics as they arrive until the run ends (Ctrl-C leaves the run running)')
    .action(withClient(async (c, runId: string) => follow(c, io, runId)));
  for (const [verb, channel, what] of [
    ['stop', 'runs:stop', 'stop a run: SIGTERM, the trainer writes a checkpoint and exits'],
    ['kill', 'runs:kill', "kill a run's processes (SIGKILL; no checkpoint)"],
  ] as const) {
    runs
      .command(`${verb} <run>`)
      .description(what)
      .action(
        withClient(async (c, runId: string) => {
          const run = await c.call(channel, { runId });
          io.out(`${run.id}: ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}\n`);
        }),
      );
  }

  runs
    .command('resume <run>')
    .description('start a new attempt of a stopped or failed run from its newest checkpoint (or --checkpoint)')
    .option('--checkpoint <checkpoint>', 'resume from the checkpoint of this step (or id:N); later ones are set aside')
    .action(
      withClient(async (c, runId: string, o: { checkpoint?: string }) => {
        const run = await c.call('runs:resume', {
          runId,
          ...(o.checkpoint !== undefined ? { checkpointId: await checkpointId(c, o.checkpoint, runId) } : {}),
        });
        // An attempt that is over before the command returns did not resume anything: a failure.
        if (run.state === 'failed') {
          throw new WorkbenchError({
            code: 'trainer_failed',
            message: `Run ${run.id} failed as it resumed${run.stateMessage ? `: ${run.stateMessage}` : ''}.`,
            hint: `See trainer.log in ${run.remoteDir}, or \`moewb runs show ${run.id}\`.`,
          });
        }
        io.out(`${run.id}: ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}\n`);
      }),
    );
  addEvalEveryOptions(runs.command('fork <run>'))
    .description('a new run from a checkpoint of this one (--fork-from), optionally annealing from there')
    .requiredOption('--checkpoint <checkpoint>', "the step of one of the run's checkpoints (or id:N)")
    .option('--name <name>', 'a name for the new run')
    .option('--set <flag=value>', 'override a trainer flag (repeatable)', keyValue, {})
    .option('--no-fork-optimizer', 'start the AdamW moments from zero instead of taking them over')
    .option('--anneal-steps <n>', 'anneal: decay from --lr to --min-lr over N steps from the fork point', positiveInt)
    .option('--anneal-tokens <n>', 'anneal: the same over N tokens', positiveInt)
    .option('--decay-form <form>', 'anneal decay shape: exponential, linear, cosine, 1-sqrt', 'exponential')
    .option('--min-lr <lr>', 'anneal: the learning rate at the end', Number)
    .option('--data-mix <mix>', "the fork's data mixture (when the node's trainer has --data-mix)")
    .option('--data-mix-phase2 <mix>', 'anneal: the phase-2 mixture every step of the fork reads (--data-mix-phase2)')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option('--follow', 'stay and print metrics until the new run ends')
    .option('--json', 'print the run as JSON')
    .action(
      withClient(async (c, parent: string, o: ForkOpts) => {
        const annealing = o.annealSteps !== undefined || o.annealTokens !== undefined;
        if (annealing && o.minLr === undefined)
          throw new WorkbenchError({
            code: 'invalid_request',
            message: 'An anneal needs --min-lr.',
            hint: "Add --min-lr, e.g. 10% of the run's --lr.",
          });
        const { run, warnings } = await c.call('runs:fork', {
          runId: parent,
          checkpointId: await checkpointId(c, o.checkpoint, parent),
          overrides: o.set,
          forkOptimizer: o.forkOptimizer,
          tags: o.tag,
          ...(o.name ? { name: o.name } : {}),
          ...(annealing
            ? {
                anneal: {
                  ...(o.annealSteps ? { decaySteps: o.annealSteps } : { decayTokens: o.annealTokens as number }),
                  form: o.decayForm as 'exponential',
                  minLr: o.minLr as number,
                  ...(o.dataMixPhase2 ? { dataMixPhase2: o.dataMixPhase2 } : {}),
                },
              }
            : {}),
          ...(o.dataMix ? { dataMix: o.dataMix } : {}),
          ...evalEveryFrom(o),
        });
        for (const w of warnings) io.err(`warning: ${w}\n`);
        if (o.json) json(run);
        else io.out(`forked ${run.id} (${run.name}) from ${parent}: ${run.state}\n  run directory: ${run.remoteDir}\n`);
        if (o.follow) await follow(c, io, run.id);
      }),
    );
}

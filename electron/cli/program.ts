import { Command, InvalidArgumentError, Option } from 'commander';
import { WorkbenchError } from '../contract/errors.js';
import type { MetricsAppended } from '../contract/metrics.js';
import { isFinalState, type RunSummary } from '../contract/runs.js';
import { addCheckpointCommands, addEvalEveryOptions, checkpointId, evalEveryFrom } from './checkpoint-commands.js';
import type { CliClient } from './client.js';
import { deploymentLine, nodeReport, nodesTable, runDetail, runsTable } from './format.js';
import { exportCsv } from './export.js';

/** Where the CLI writes and how it reaches the services. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Opens the services for the global options (data dir, trainer). */
  open: (options: GlobalOptions) => CliClient;
  /** Resolves when the user interrupts (Ctrl-C) a following command. */
  interrupted?: Promise<void>;
}

/** Options every command shares. */
export interface GlobalOptions {
  dataDir: string;
  trainer: string;
}

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('write --set name=value, e.g. --set max-steps=200');
  return { ...previous, [value.slice(0, eq).replace(/^--/, '')]: value.slice(eq + 1) };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
}

/** Builds the `moewb` program; `defaults` fills --data-dir and --trainer. */
export function buildProgram(io: CliIo, defaults: GlobalOptions, version: string): Command {
  const program = new Command('moewb')
    .description(
      'MoE Workbench on the command line: nodes, deploys, runs and metrics, over the same services as the app',
    )
    .version(version)
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where the workbench keeps its database and local runs (env MOE_WORKBENCH_DATA)',
      ).default(defaults.dataDir),
    )
    .addOption(
      new Option('--trainer <path>', "This machine's moetrain binary (env MOE_WORKBENCH_TRAINER)").default(
        defaults.trainer,
      ),
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  /** Runs an action with an open client, closing it afterwards. */
  const withClient =
    <A extends unknown[]>(action: (client: CliClient, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const client = io.open(program.opts<GlobalOptions>());
      try {
        await action(client, ...args);
      } finally {
        await client.close();
      }
    };
  const json = (value: unknown): void => io.out(JSON.stringify(value, null, 2) + '\n');

  const nodes = program.command('nodes').description('the machines runs go to');
  nodes
    .command('list')
    .description('list node profiles ("local" is This machine)')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, opts: { json?: boolean }) => {
        const list = await c.call('nodes:list', {});
        if (opts.json) json(list);
        else io.out(nodesTable(list));
      }),
    );
  nodes
    .command('add <name>')
    .description('add an SSH node (no secrets are stored: keys stay in their files or your agent)')
    .requiredOption('--host <host>', 'host name, address or ~/.ssh/config alias')
    .option('--port <port>', 'SSH port', positiveInt)
    .option('--user <user>', 'user name')
    .option('--identity-file <path>', 'private key file')
    .option('--proxy-jump <hops>', 'jump host(s), as in ssh -J')
    .option('--python <path>', 'Python with PyTorch on the node, for the build')
    .action(
      withClient(
        async (
          c,
          name: string,
          o: { host: string; port?: number; user?: string; identityFile?: string; proxyJump?: string; python?: string },
        ) => {
          const node = await c.call('nodes:add', {
            name,
            host: o.host,
            port: o.port ?? null,
            user: o.user ?? null,
            identityFile: o.identityFile ?? null,
            proxyJump: o.proxyJump ?? null,
            python: o.python ?? null,
          });
          io.out(`added node ${node.id} (${node.name})\n`);
        },
      ),
    );
  nodes
    .command('test <node>')
    .description('connect and report OS, CPUs, memory, GPUs, Python/torch and build tools')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, node: string, opts: { json?: boolean }) => {
        const report = await c.call('nodes:test', { id: await nodeId(c, node) });
        if (opts.json) json(report);
        else io.out(nodeReport(report));
      }),
    );

  nodes
    .command('trust <node>')
    .description(
      "accept an SSH node's host key after comparing its fingerprint with the one its administrator gave you",
    )
    .requiredOption('--fingerprint <SHA256:...>', 'the fingerprint you compared (as `nodes test` printed it)')
    .action(
      withClient(async (c, node: string, o: { fingerprint: string }) => {
        const id = await nodeId(c, node);
        const seen = await c.call('nodes:test', { id }).then(
          () => null,
          (err: unknown) => err,
        );
        if (seen === null) {
          io.out('the host key is already trusted\n');
          return;
        }
        const details = seen instanceof WorkbenchError ? seen.details : undefined;
        if (!(seen instanceof WorkbenchError) || seen.code !== 'ssh_host_key_unknown' || details?.kind !== 'host_key')
          throw seen;
        if (details.fingerprint !== o.fingerprint) {
          throw new WorkbenchError({
            code: 'conflict',
            message: `The host presents ${details.fingerprint}, not ${o.fingerprint}.`,
            hint: "Do not trust it: check the address, then ask the host's administrator for its fingerprint.",
          });
        }
        await c.call('nodes:trust-host-key', {
          host: details.host,
          port: details.port,
          key: details.key,
          fingerprint: details.fingerprint,
        });
        io.out(`trusted ${details.keyType} ${details.fingerprint} for ${details.host}:${details.port}\n`);
      }),
    );

  program
    .command('deploy <node>')
    .description('upload and build the trainer on a node (skips what the node already has)')
    .option('--force', 'upload and build even when the node has this version')
    .action(
      withClient(async (c, node: string, opts: { force?: boolean }) => {
        const off = c.on('deploy:progress', (p) => io.out(`[${p.phase}] ${p.message}\n`));
        try {
          io.out(
            deploymentLine(await c.call('deploy:start', { nodeId: await nodeId(c, node), force: opts.force ?? false })),
          );
        } finally {
          off();
        }
      }),
    );

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

  addCheckpointCommands(program, io, withClient, json);

  const metrics = program.command('metrics').description('metrics of runs');
  metrics
    .command('export <run>')
    .description('write metrics as CSV: one row per step, one column per series')
    .requiredOption('--csv', 'CSV format (the only one so far)')
    .option('--series <names>', 'comma-separated series (default: all), e.g. train/loss,val/loss')
    .option('--include-archived', 'also points that a resumed attempt superseded')
    .action(
      withClient(async (c, runId: string, o: { series?: string; includeArchived?: boolean }) => {
        const names = o.series
          ? o.series
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
        io.out(await exportCsv(c, runId, names, o.includeArchived ?? false));
      }),
    );
  metrics
    .command('ingest <run>')
    .description("read the run's metrics.jsonl into the database now (from where reading stopped)")
    .option('--watch', 'keep reading until interrupted')
    .option('--interval <ms>', 'poll interval with --watch', positiveInt, 250)
    .action(
      withClient(async (c, runId: string, o: { watch?: boolean; interval: number }) => {
        let stop = false;
        void io.interrupted?.then(() => (stop = true));
        do {
          const r = await c.call('metrics:ingest', { runId });
          if (!o.watch || r.lines > 0)
            io.out(
              `${runId}: +${r.lines} lines, +${r.points} points, offset ${r.byteOffset}${r.blocked ? `; STOPPED: ${r.blocked}` : ''}\n`,
            );
          if (r.blocked)
            throw new WorkbenchError({
              code: 'conflict',
              message: r.blocked,
              hint: 'The file was changed behind the workbench; the points read so far are kept.',
            });
          if (o.watch && !stop) await Promise.race([new Promise((res) => setTimeout(res, o.interval)), io.interrupted]);
        } while (o.watch && !stop);
      }),
    );
  return program;
}

type EvalEveryOpts = {
  evalEveryTokens?: number;
  evalKind: string;
  evalTasks: string[];
  evalLimit?: number;
  evalLocalTasks?: string;
};
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

async function nodeId(c: CliClient, nameOrId: string): Promise<string> {
  const nodes = await c.call('nodes:list', {});
  const found =
    nodes.find((n) => n.id === nameOrId) ?? nodes.find((n) => n.name.toLowerCase() === nameOrId.toLowerCase());
  if (!found)
    throw new WorkbenchError({
      code: 'not_found',
      message: `There is no node "${nameOrId}".`,
      hint: 'See `moewb nodes list`.',
    });
  return found.id;
}

function stepLine(m: MetricsAppended): string | null {
  if (m.toStep === null) return null;
  const show = ['train/loss', 'train/lm_loss', 'train/lr', 'train/tokens_per_s', 'val/loss'];
  const label = (s: string): string => (s.startsWith('train/') ? s.slice(6) : s.replace('/', '_'));
  const parts = show.filter((s) => m.latest[s]).map((s) => `${label(s)}=${formatValue(m.latest[s]!.value)}`);
  return `step ${m.toStep}  ${parts.join('  ')}\n`;
}

function formatValue(v: number | null): string {
  if (v === null) return 'nan';
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toPrecision(3) : v.toFixed(4);
}

/** Watches one run and prints its progress until it is final (or the user interrupts). */
async function follow(c: CliClient, io: CliIo, runId: string): Promise<void> {
  let last: RunSummary | null = null;
  const done = new Promise<RunSummary>((resolve) => {
    c.on('runs:changed', ({ run }) => {
      if (run.id !== runId) return;
      if (last?.state !== run.state)
        io.out(`${run.id}: ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}\n`);
      last = run;
      if (isFinalState(run.state)) resolve(run);
    });
  });
  c.on('metrics:appended', (m) => {
    if (m.runId !== runId) return;
    const line = stepLine(m);
    if (line) io.out(line);
  });
  const first = await c.call('runs:refresh', { runId });
  if (isFinalState(first.state)) {
    io.out(`${first.id}: ${first.state}${first.stateMessage ? ` (${first.stateMessage})` : ''}\n`);
    return;
  }
  // Keep refreshing: the monitor watches the run between refreshes and publishes what it reads.
  let stop = false;
  void io.interrupted?.then(() => (stop = true));
  const ended = done.then(() => (stop = true));
  while (!stop) {
    await Promise.race([new Promise((r) => setTimeout(r, 250)), ended, io.interrupted]);
    if (!stop) await c.call('runs:refresh', { runId });
  }
  const final = await Promise.race([done, Promise.resolve(null)]);
  if (final && final.state === 'failed') process.exitCode = 1;
}

/** Parses and runs one command line; resolves with the exit code (errors printed as message + hint). */
export async function runProgram(io: CliIo, argv: string[], defaults: GlobalOptions, version: string): Promise<number> {
  const program = buildProgram(io, defaults, version).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return printError(io, err);
  }
}

/** Prints an error the way every command does: the problem, then what to do. */
export function printError(io: CliIo, err: unknown): number {
  if (err instanceof WorkbenchError) {
    io.err(`error: ${err.message}\n`);
    if (err.details?.kind === 'host_key' && err.details.status === 'unknown') {
      io.err(`host key: ${err.details.keyType} ${err.details.fingerprint}\n`);
      io.err(
        "hint: compare it with the fingerprint the host's administrator gives you; if they match, run `moewb nodes trust <node> --fingerprint <it>`\n",
      );
      return 1;
    }
    if (err.hint) io.err(`hint: ${err.hint}\n`);
    return 1;
  }
  const e = err as { code?: string; hint?: string; message?: string; exitCode?: number };
  // commander has printed its own message (usage error, --help, --version).
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 2;
  io.err(`error: ${e?.message ?? String(err)}\n`);
  if (e?.hint) io.err(`hint: ${e.hint}\n`);
  return 1;
}

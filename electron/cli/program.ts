import { Command, Option } from 'commander';
import { escapeControls } from '../contract/display-text.js';
import { WorkbenchError } from '../contract/errors.js';
import { registerCheckpointCommands } from './commands/checkpoints.js';
import { registerDbCommands } from './commands/db.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerEvalCommands } from './commands/evals.js';
import { registerMetricsCommands } from './commands/metrics.js';
import { registerNodeCommands } from './commands/nodes.js';
import { registerRunCommands } from './commands/runs.js';
import type { CliIo, GlobalOptions } from './io.js';

export type { CliIo, GlobalOptions } from './io.js';

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
  // The order here is the order of `moewb --help`.
  registerNodeCommands(program, io);
  registerDeployCommand(program, io);
  registerRunCommands(program, io);
  registerCheckpointCommands(program, io);
  registerEvalCommands(program, io);
  registerMetricsCommands(program, io);
  registerDbCommands(program, io);
  return program;
}

/** Parses and runs one command line; resolves with the exit code (errors printed as message + hint). */
export async function runProgram(
  raw: CliIo,
  argv: string[],
  defaults: GlobalOptions,
  version: string,
): Promise<number> {
  // Names, tags, notes and node output may hold terminal escapes or bidi overrides: every line the
  // CLI prints shows them as visible escapes, never as instructions to the terminal.
  const io: CliIo = { ...raw, out: (t) => raw.out(escapeControls(t)), err: (t) => raw.err(escapeControls(t)) };
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
        "hint: compare it with the fingerprint the host's administrator gives you; " +
          'if they match, run `moewb nodes trust <node> --fingerprint <it>`\n',
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

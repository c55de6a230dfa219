import type { Command } from 'commander';
import type { CliClient } from './client.js';

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

/** Wraps a command's action so it runs with an open client, closed afterwards. */
export type WithClient = <A extends unknown[]>(
  action: (client: CliClient, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

/** What every command group is registered with: the root program, its output, and the two action helpers. */
export interface CommandKit {
  program: Command;
  io: CliIo;
  /** Runs an action with a client opened for the root program's global options. */
  withClient: WithClient;
  /** Prints a value as indented JSON (the --json output of every command). */
  json: (value: unknown) => void;
}

/** The kit for `program`, the root `moewb` command whose options hold --data-dir and --trainer. */
export function commandKit(program: Command, io: CliIo): CommandKit {
  const withClient: WithClient =
    (action) =>
    async (...args) => {
      const client = io.open(program.opts<GlobalOptions>());
      try {
        await action(client, ...args);
      } finally {
        await client.close();
      }
    };
  return { program, io, withClient, json: (value) => io.out(JSON.stringify(value, null, 2) + '\n') };
}

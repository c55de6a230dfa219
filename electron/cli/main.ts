#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appRoot, defaultDataDir, defaultTrainerPath, workbenchVersion } from '../app/paths.js';
import { createWorkbench } from '../services/workbench.js';
import { clientOf } from './client.js';
import type { CliIo } from './io.js';
import { runProgram } from './program.js';

/** Runs `moewb` with the given arguments; resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const root = appRoot();
  const version = workbenchVersion(root);
  // Ctrl-C: following commands stop watching (the run goes on); anything else ends a second later.
  const interrupted = new Promise<void>((resolve) =>
    process.once('SIGINT', () => {
      resolve();
      setTimeout(() => process.exit(130), 1000).unref();
    }),
  );
  const io: CliIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    interrupted,
    open: (o) =>
      clientOf(
        createWorkbench({
          dataDir: o.dataDir,
          trainerPath: o.trainer,
          transport: 'cli',
          version,
          watchRuns: false,
          sourceRoot: root,
        }),
      ),
  };
  return runProgram(io, argv, { dataDir: defaultDataDir(), trainer: defaultTrainerPath(root) }, version);
}

const invokedAs = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedAs === fileURLToPath(import.meta.url)) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

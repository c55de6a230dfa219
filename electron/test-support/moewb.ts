import { join } from 'node:path';
import { clientOf } from '../cli/client.js';
import { runProgram, type CliIo } from '../cli/program.js';
import { createWorkbench } from '../services/workbench.js';

/**
 * Runs `moewb --data-dir <dataDir> <argv>` in-process over the real services (runs not watched, as the CLI
 * runs them), with `trainer` as This machine's trainer. SSH sees only `<dataDir>/home` and no user
 * known_hosts file, so a test never reads the machine's own.
 */
export async function moewb(
  dataDir: string,
  trainer: string,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    open: (o) =>
      clientOf(
        createWorkbench({
          dataDir: o.dataDir,
          trainerPath: o.trainer,
          transport: 'cli',
          version: '0.0.0-test',
          watchRuns: false,
          ssh: { homeDir: join(dataDir, 'home'), userKnownHostsFiles: [] },
        }),
      ),
  };
  // A command that fails softly sets process.exitCode, as in its own process; here it must not carry over
  // to the next command the test runs.
  process.exitCode = undefined;
  try {
    const code = await runProgram(
      io,
      ['--data-dir', dataDir, ...argv],
      { dataDir: '/nonexistent', trainer },
      '0.0.0-test',
    );
    return { code, out, err };
  } finally {
    process.exitCode = undefined;
  }
}

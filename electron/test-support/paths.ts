import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The trainer binary the test command built. */
export const trainerBinary = process.env.MOE_WORKBENCH_TRAINER ?? join(repoRoot, 'native', 'build', 'moetrain');

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'moewb-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The interpreter of the managed Python environment (torch, transformers, lm-eval), resolved by the one resolver
 * the build and the trainer tests use (native/scripts/python_env.sh path: MOETRAIN_VENV, else XDG_CACHE_HOME).
 * `npm test` prepares it before any test runs.
 */
export function managedPython(): string {
  const script = join(repoRoot, 'native', 'scripts', 'python_env.sh');
  const venv = execFileSync('bash', [script, 'path'], { encoding: 'utf8' }).trim();
  return join(venv, 'bin', 'python');
}

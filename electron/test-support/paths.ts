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

import { spawnSync } from 'node:child_process';
import { trainerBinary } from './paths.js';

/**
 * Fails with what to do when the trainer binary cannot train (missing, or built before `moetrain
 * train` existed); tests that launch runs call it first so they fail with that reason, not a timeout.
 */
export function requireTrainer(): void {
  const r = spawnSync(trainerBinary, ['help', 'train'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `These tests launch the real trainer and need \`moetrain train\` at ${trainerBinary}` +
        ` (${r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n')[0]}). ` +
        'Build it with `bash native/scripts/build.sh`.',
    );
  }
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

let built = false;

/**
 * Brings build/node up to date (`tsc -b tsconfig.node.json`, incremental) once per test process, so
 * tests can start compiled entry points (the CLI) as real child processes. Test workers take turns.
 */
export function ensureCompiled(): void {
  if (built) return;
  const lock = join(repoRoot, 'build', '.compile-lock');
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 3 minutes belongs to a worker that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.node.json'],
      {
        cwd: repoRoot,
        stdio: 'pipe',
      },
    );
    built = true;
  } finally {
    rmdirSync(lock);
  }
}

/** The compiled `moewb` entry point, up to date. */
export function compiledCli(): string {
  ensureCompiled();
  return join(repoRoot, 'build', 'node', 'electron', 'cli', 'main.js');
}

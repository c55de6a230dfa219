// Where the workbench lives and keeps its data: shared by every entry point (desktop app, browser host, CLI,
// start-up), which is why it is here and not in any one of them.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed app) root: the nearest folder above this file with our package.json. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name === 'moe-workbench') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('Cannot find the moe-workbench package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The workbench version from package.json. */
export function workbenchVersion(root = appRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the workbench keeps its database and local runs: $MOE_WORKBENCH_DATA, else the XDG data dir. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOE_WORKBENCH_DATA) return resolve(env.MOE_WORKBENCH_DATA);
  const base = env.XDG_DATA_HOME ? resolve(env.XDG_DATA_HOME) : join(homedir(), '.local', 'share');
  return join(base, 'moe-workbench');
}

/** The local trainer binary: $MOE_WORKBENCH_TRAINER, else the one `native/scripts/build.sh` produces. */
export function defaultTrainerPath(root = appRoot(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOE_WORKBENCH_TRAINER) return resolve(env.MOE_WORKBENCH_TRAINER);
  return join(root, 'native', 'build', 'moetrain');
}

/** The built renderer (index.html and assets). */
export function rendererDir(root = appRoot()): string {
  return join(root, 'build', 'renderer');
}

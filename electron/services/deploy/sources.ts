import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** One file of the trainer sources. */
export interface SourceFile {
  /** Path relative to the source root, with forward slashes. */
  rel: string;
  abs: string;
  size: number;
  executable: boolean;
}

/** The trainer sources and their content hash. */
export interface TrainerSources {
  root: string;
  files: SourceFile[];
  /** SHA-256 over every file's path, executable bit and content, in path order. */
  hash: string;
  bytes: number;
}

// Build outputs and caches inside native/ that are not sources.
const skipDirs = new Set(['.git', '.cache', '__pycache__', 'node_modules', 'CMakeFiles', '.pytest_cache']);
const isBuildDir = (name: string): boolean =>
  name === 'build' || name.startsWith('build-') || name.startsWith('cmake-build');

function walk(root: string, dir: string, out: SourceFile[], topLevel: boolean): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (skipDirs.has(entry.name) || (topLevel && isBuildDir(entry.name))) continue;
      walk(root, abs, out, false);
    } else if (entry.isFile()) {
      if (entry.name.endsWith('.pyc') || entry.name.endsWith('~')) continue;
      const st = statSync(abs);
      out.push({
        rel: relative(root, abs).split(sep).join('/'),
        abs,
        size: st.size,
        executable: (st.mode & 0o111) !== 0,
      });
    }
  }
}

/**
 * Collects the trainer sources under `root` (the repository or the installed app): `native/` without
 * its build directories, plus `resources/presets/`; and hashes them. The hash names the deployed
 * tree on a node (`~/.moe-workbench/trainer/<hash>/`) and the `BUILT` marker of a finished build.
 */
export function collectTrainerSources(root: string): TrainerSources {
  const files: SourceFile[] = [];
  walk(root, join(root, 'native'), files, true);
  try {
    walk(root, join(root, 'resources', 'presets'), files, false);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const hash = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const content = readFileSync(f.abs);
    bytes += content.length;
    hash.update(`${f.rel}\0${f.executable ? 'x' : '-'}\0${content.length}\0`);
    hash.update(content);
  }
  return { root, files, hash: hash.digest('hex'), bytes };
}

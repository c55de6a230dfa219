import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One forward-only schema migration: applied once, in order, in its own transaction. */
export interface Migration {
  /** 1, 2, 3, ...: also the `PRAGMA user_version` after it. */
  version: number;
  /** The file name without `.sql`, e.g. `0001_init`. */
  name: string;
  sql: string;
}

/** Every migration this build knows, in order. Add new files here; never edit an applied one. */
export const migrationFiles = ['0001_init.sql', '0002_metrics.sql', '0003_checkpoints_evals.sql'] as const;

/**
 * Finds the `.sql` files: next to this module in the source tree (vitest, tsx) or, for the compiled
 * build under build/node, in the source tree the build came from (or a copy the packager placed
 * next to the compiled module).
 */
function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, migrationFiles[0]))) return here;
  let dir = here;
  for (;;) {
    const candidate = join(dir, 'electron', 'services', 'db', 'migrations');
    if (existsSync(join(candidate, migrationFiles[0]))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the database migrations (looked next to ${here} and above it).`);
    dir = parent;
  }
}

/** Loads the known migrations from their files. */
export function loadMigrations(): Migration[] {
  const dir = migrationsDir();
  return migrationFiles.map((file, i) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match || Number(match[1]) !== i + 1) throw new Error(`Migration ${file} is out of sequence.`);
    return { version: i + 1, name: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') };
  });
}

import { join } from 'node:path';
import { openDatabase, type Db } from '../services/db/database.js';
import { tempDir } from './paths.js';

/** A fresh workbench database in its own temporary directory, with the real migrations. */
export function openTestStore(): { db: Db; dir: string; path: string } {
  const dir = tempDir('moewb-store-');
  const path = join(dir, 'workbench.db');
  return { db: openDatabase(path).db, dir, path };
}

/** Inserts a run row directly (for tests that exercise ingestion without launching anything). */
export function insertRun(db: Db, id: string, remoteDir: string, nodeId = 'local'): number {
  db.prepare(
    `INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES (?, ?, ?, 'running', ?, ?)`,
  ).run(id, id, nodeId, remoteDir, Date.now() / 1000);
  return db.prepare('SELECT key FROM runs WHERE id = ?').pluck().get(id) as number;
}

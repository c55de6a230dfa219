import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process with the database open: `write` holds the write lock (an open IMMEDIATE transaction). */
export async function holdDatabase(path: string, write: boolean): Promise<ChildProcess> {
  const code = `
    const Database = require(${JSON.stringify(sqliteModule)});
    const db = new Database(${JSON.stringify(path)});
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (${write}) { db.exec('BEGIN IMMEDIATE'); db.prepare("INSERT INTO series (name) VALUES ('held')").run(); }
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`the process holding ${path} exited with ${c}`)));
  });
  return child;
}

/** Ends a holder started by holdDatabase and waits until it is gone. */
export async function release(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** XORs `count` bytes of a file from `offset` with 0x5a: damage that keeps the file's length. */
export function flipBytes(path: string, offset: number, count = 8): void {
  const bytes = readFileSync(path);
  if (offset + count > bytes.length) throw new Error(`${path} has only ${bytes.length} bytes`);
  for (let i = offset; i < offset + count; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
  writeFileSync(path, bytes);
}

/** The first byte of the b-tree root page of `table` (the database's WAL checkpointed first). */
export function rootPageOffset(path: string, table: string): number {
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const page = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(table) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return (page - 1) * pageSize;
  } finally {
    db.close();
  }
}

/**
 * A copy of a database taken while it was open, as a file manager or a sync tool makes one: the main file
 * and a WAL that holds `runs` committed runs (one transaction each) not yet checkpointed into it.
 */
export function copyOfLiveDatabase(source: string, dest: string, runs: number): void {
  const db = new Database(source);
  try {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const insert = db.prepare(
      "INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES (?, ?, 'local', 'stopped', ?, ?)",
    );
    for (let i = 0; i < runs; i++) insert.run(`r-20260101-c0c0${String(i).padStart(2, '0')}`, `copied ${i}`, '/x', i);
    copyFileSync(source, dest);
    copyFileSync(`${source}-wal`, `${dest}-wal`);
  } finally {
    db.close();
  }
}

/** The byte offset of frame `n` (1-based) of a WAL with `pageSize` pages. */
export const walFrameOffset = (n: number, pageSize = 4096): number => 32 + (n - 1) * (24 + pageSize);

/** The files of a data directory's database, for comparing before and after. */
export const dbFiles = (dataDir: string): string[] => ['workbench.db', 'workbench.db-wal'].map((f) => join(dataDir, f));

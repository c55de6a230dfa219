import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flipBytes, walFrameOffset } from '../../test-support/db-faults.js';
import { tempDir } from '../../test-support/paths.js';
import { inspectDatabaseFiles, inspectWal } from './db-files.js';

const pageSize = 4096;
const frameBytes = 24 + pageSize;

/**
 * A copy of a live database whose WAL holds `tail` one-row transactions; with `oldGeneration`, the log
 * was reset after a checkpoint of many more frames first, so frames of that older generation follow.
 */
function liveCopy(tail: number, oldGeneration = false): { path: string; frames: number; rows: number } {
  const dir = tempDir('moewb-wal-');
  const source = join(dir, 'live.db');
  const db = new Database(source);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  let rows = 0;
  if (oldGeneration) {
    for (let i = 0; i < 30; i++, rows++) insert.run(Buffer.alloc(3000, i));
    db.pragma('wal_checkpoint(PASSIVE)'); // every frame copied: the next write starts the log over
  }
  for (let i = 0; i < tail; i++, rows++) insert.run(Buffer.alloc(100, i));
  const path = join(dir, 'workbench.db');
  copyFileSync(source, path);
  copyFileSync(`${source}-wal`, `${path}-wal`);
  db.close();
  return { path, frames: Math.floor((statSync(`${path}-wal`).size - 32) / frameBytes), rows };
}

const rowsIn = (path: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM t').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('inspectWal', () => {
  it('passes a whole log, and one followed by frames of an older generation', () => {
    const whole = liveCopy(5);
    expect(inspectDatabaseFiles(whole.path)).toEqual([]);
    const reset = liveCopy(3, true);
    // The reset log is shorter than the file: the frames past its end are the older generation's.
    expect(reset.frames).toBeGreaterThan(10);
    expect(inspectWal(`${reset.path}-wal`)).toBeNull();
    expect(rowsIn(reset.path)).toBe(reset.rows);
  });

  it.each([
    ['its page', 24 + 200],
    ['its page number', 0],
    ['its salt', 8],
    ['its stored checksum', 16],
  ])('finds a frame damaged in %s before valid commits', (_what, at) => {
    const copy = liveCopy(6);
    flipBytes(`${copy.path}-wal`, walFrameOffset(2) + at, 4);
    expect(inspectWal(`${copy.path}-wal`)).toMatch(
      new RegExp(`^frame 2 of ${copy.frames} is damaged .* drop the \\d committed transactions from that frame on$`),
    );
    expect(inspectDatabaseFiles(copy.path)).toEqual([
      { file: `${copy.path}-wal`, message: expect.stringMatching(/^frame 2 of/) as unknown },
    ]);
  });

  it('finds damage at the start of a reset log, counting only its own commits', () => {
    const copy = liveCopy(3, true);
    flipBytes(`${copy.path}-wal`, walFrameOffset(1) + 24 + 50, 4);
    expect(inspectWal(`${copy.path}-wal`)).toMatch(/^frame 1 of \d+ is damaged .* drop the 3 committed transactions/);
  });

  it('lets a damaged last frame go: the tail of a write a crash cut short', () => {
    const copy = liveCopy(4);
    flipBytes(`${copy.path}-wal`, walFrameOffset(copy.frames) + 24 + 10, 4);
    expect(inspectWal(`${copy.path}-wal`)).toBeNull();
    expect(rowsIn(copy.path)).toBe(copy.rows - 1);
  });

  it('finds a damaged log header in front of frames, and a main file that is not a database', () => {
    const copy = liveCopy(2);
    flipBytes(`${copy.path}-wal`, 12, 4);
    expect(inspectWal(`${copy.path}-wal`)).toMatch(/header checksum is wrong, so SQLite would ignore all \d+ frames/);
    const notDb = join(tempDir('moewb-wal-'), 'workbench.db');
    writeFileSync(notDb, readFileSync(copy.path).subarray(100));
    expect(inspectDatabaseFiles(notDb)).toEqual([
      { file: notDb, message: 'it is not an SQLite database (its first 16 bytes are not the header)' },
    ]);
  });
});

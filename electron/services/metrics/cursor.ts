import type { Db } from '../db/database.js';

/** Where reading one stream of a run stopped, as committed with the rows it produced. */
export interface Cursor {
  runId: string;
  stream: string;
  byteOffset: number;
  lineCount: number;
  inode: number | null;
  headLen: number;
  headHash: string | null;
  attempt: number;
  errorCount: number;
  blocked: string | null;
}

interface CursorRow {
  run_id: string;
  stream: string;
  byte_offset: number;
  line_count: number;
  inode: number | null;
  head_len: number;
  head_hash: string | null;
  attempt: number;
  error_count: number;
  blocked: string | null;
}

/** Prepared statements for ingest cursors. */
export class CursorStore {
  private readonly select;
  private readonly insert;
  private readonly advance;
  private readonly block;
  private readonly unblock;
  private readonly reset;

  constructor(db: Db) {
    this.select = db.prepare('SELECT * FROM ingest_cursors WHERE run_id = ? AND stream = ?');
    this.insert = db.prepare(
      'INSERT INTO ingest_cursors (run_id, stream, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    // Optimistic: only moves a cursor that is still where the caller read it from, so two
    // processes tailing the same run never move it backwards or count a line twice.
    this.advance = db.prepare(
      `UPDATE ingest_cursors SET byte_offset = @newOffset, line_count = @lineCount, inode = @inode, head_len = @headLen,
         head_hash = @headHash, attempt = @attempt, error_count = @errorCount, updated_at = @now
       WHERE run_id = @runId AND stream = @stream AND byte_offset = @oldOffset AND blocked IS NULL`,
    );
    this.block = db.prepare(
      'UPDATE ingest_cursors SET blocked = ?, updated_at = ? WHERE run_id = ? AND stream = ? AND blocked IS NULL',
    );
    this.unblock = db.prepare(
      'UPDATE ingest_cursors SET blocked = NULL, updated_at = ? WHERE run_id = ? AND stream = ? AND blocked = ?',
    );
    this.reset = db.prepare(
      `UPDATE ingest_cursors SET byte_offset = 0, line_count = 0, inode = NULL, head_len = 0, head_hash = NULL, error_count = 0,
         blocked = NULL, updated_at = ? WHERE run_id = ? AND stream = ?`,
    );
  }

  /** The cursor of a stream, created at offset 0 when missing. */
  get(runId: string, stream: string): Cursor {
    let row = this.select.get(runId, stream) as CursorRow | undefined;
    if (!row) {
      this.insert.run(runId, stream, Date.now() / 1000);
      row = this.select.get(runId, stream) as CursorRow;
    }
    return {
      runId: row.run_id,
      stream: row.stream,
      byteOffset: row.byte_offset,
      lineCount: row.line_count,
      inode: row.inode,
      headLen: row.head_len,
      headHash: row.head_hash,
      attempt: row.attempt,
      errorCount: row.error_count,
      blocked: row.blocked,
    };
  }

  /** Moves the cursor from `oldOffset` to `next`; false when another reader moved it first. */
  advanceFrom(oldOffset: number, next: Cursor): boolean {
    const info = this.advance.run({
      runId: next.runId,
      stream: next.stream,
      oldOffset,
      newOffset: next.byteOffset,
      lineCount: next.lineCount,
      inode: next.inode,
      headLen: next.headLen,
      headHash: next.headHash,
      attempt: next.attempt,
      errorCount: next.errorCount,
      now: Date.now() / 1000,
    });
    return info.changes === 1;
  }

  /** Stops reading a stream (truncated or replaced); returns false when it was blocked already. */
  setBlocked(runId: string, stream: string, reason: string): boolean {
    return this.block.run(reason, Date.now() / 1000, runId, stream).changes === 1;
  }

  /** Lets reading go on (the file read before is back); false when the stream was not blocked for `reason`. */
  clearBlocked(runId: string, stream: string, reason: string): boolean {
    return this.unblock.run(Date.now() / 1000, runId, stream, reason).changes === 1;
  }

  /** Starts reading a stream from its first byte again (after the user accepted a replaced file). */
  resetTo0(runId: string, stream: string): void {
    this.reset.run(Date.now() / 1000, runId, stream);
  }
}

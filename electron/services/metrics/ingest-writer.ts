import type { Db } from '../db/database.js';
import { CursorStore, type Cursor } from './cursor.js';
import { RecordApplier, type ChunkSummary } from './record-applier.js';

/** The file facts committed with a chunk: identity (inode, head hash) as observed before reading it. */
export interface FileIdentity {
  inode: number | null;
  headLen: number;
  headHash: string | null;
}

/** Raised when another reader committed the same stream first; the caller re-reads the cursor. */
export class CursorMovedError extends Error {
  constructor() {
    super('The ingest cursor moved under this reader (another process is reading the same run).');
  }
}

/**
 * Applies complete lines of a metrics stream to the database: the rows they produce and the new
 * cursor position commit in ONE transaction, so a crash at any moment leaves either both or neither.
 */
export class IngestWriter {
  readonly cursors: CursorStore;
  private readonly applier: RecordApplier;
  private readonly logError;

  constructor(private readonly db: Db) {
    this.cursors = new CursorStore(db);
    this.applier = new RecordApplier(db);
    this.logError = db.prepare(
      `INSERT INTO ingest_errors (run_id, stream, kind, line_number, byte_offset, reason, excerpt, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
  }

  /**
   * Applies `lines` (complete lines only: ends with a newline) that start at `cursor.byteOffset`.
   * Returns the new cursor and what the chunk contained.
   */
  applyChunk(
    runKey: number,
    cursor: Cursor,
    lines: Buffer,
    identity: FileIdentity,
  ): { cursor: Cursor; summary: ChunkSummary } {
    if (lines.length > 0 && lines[lines.length - 1] !== 0x0a) throw new Error('applyChunk takes complete lines only');
    const run = this.db.transaction(() => {
      const summary = this.applier.apply(runKey, cursor, lines);
      const next: Cursor = {
        ...cursor,
        byteOffset: cursor.byteOffset + lines.length,
        lineCount: cursor.lineCount + summary.lines,
        attempt: summary.attempt,
        errorCount: cursor.errorCount + summary.errors,
        inode: identity.inode,
        headLen: identity.headLen,
        headHash: identity.headHash,
      };
      if (!this.cursors.advanceFrom(cursor.byteOffset, next)) throw new CursorMovedError();
      return { cursor: next, summary };
    });
    try {
      return run.immediate();
    } catch (err) {
      // Rows inserted in the rolled-back transaction are gone; so are series ids it created.
      this.applier.forgetCaches();
      throw err;
    }
  }

  /** Lets reading of a blocked stream go on from its cursor: the file read before is back, unchanged. */
  unblockStream(cursor: Cursor): void {
    if (cursor.blocked !== null) this.cursors.clearBlocked(cursor.runId, cursor.stream, cursor.blocked);
  }

  /** Records a stream-level problem (truncation, replacement) once and stops reading the stream. */
  blockStream(cursor: Cursor, kind: 'truncated' | 'replaced' | 'missing', reason: string): void {
    this.db
      .transaction(() => {
        if (this.cursors.setBlocked(cursor.runId, cursor.stream, reason)) {
          this.logError.run(
            cursor.runId,
            cursor.stream,
            kind,
            cursor.lineCount,
            cursor.byteOffset,
            reason,
            null,
            Date.now() / 1000,
          );
        }
      })
      .immediate();
  }
}

import { createHash } from 'node:crypto';
import type { NodeHandle } from '../nodes/node.js';
import type { Cursor } from './cursor.js';
import { CursorMovedError, type FileIdentity, type IngestWriter } from './ingest-writer.js';
import type { ChunkSummary } from './record-applier.js';

/** Bytes of the file's head that identify it (with the inode). */
export const headBytes = 4096;
const firstChunk = 4 * 1024 * 1024;
const maxLine = 64 * 1024 * 1024;

/** What one poll of a stream did. */
export interface PollResult {
  /** Chunks committed in this poll, in order. */
  chunks: ChunkSummary[];
  cursor: Cursor;
  /** Set when reading is stopped (truncated/replaced/missing file). */
  blocked: string | null;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Tails one append-only JSONL stream of a run through a NodeHandle: reads from the committed byte
 * offset (never from the start again), takes only complete lines (a trailing partial line waits for
 * its newline), and commits rows and offset together. Truncation and replacement of the file (size
 * below the offset, a new inode, a different first 4 KB) stop reading with a recorded error.
 */
export class StreamIngester {
  constructor(
    private readonly writer: IngestWriter,
    private readonly node: NodeHandle,
    private readonly runKey: number,
    private readonly runId: string,
    private readonly path: string,
    private readonly stream = 'metrics',
  ) {}

  /** Reads everything complete that is new since the last commit. */
  async poll(): Promise<PollResult> {
    for (let tries = 0; ; tries++) {
      try {
        return await this.pollOnce();
      } catch (err) {
        if (!(err instanceof CursorMovedError)) throw err;
        // Another process committed first: start again from its cursor. If it keeps winning, it is
        // reading this stream right now; leave the rest to it (nothing is lost either way).
        if (tries >= 3) {
          const cursor = this.writer.cursors.get(this.runId, this.stream);
          return { chunks: [], cursor, blocked: cursor.blocked };
        }
      }
    }
  }

  private async pollOnce(): Promise<PollResult> {
    let cursor = this.writer.cursors.get(this.runId, this.stream);
    const chunks: ChunkSummary[] = [];
    if (cursor.blocked) return { chunks, cursor, blocked: cursor.blocked };
    const st = await this.node.stat(this.path);
    if (st === null) {
      if (cursor.byteOffset === 0) return { chunks, cursor, blocked: null };
      return this.block(cursor, 'missing', `${this.path} disappeared after ${cursor.lineCount} lines were read.`);
    }
    if (cursor.inode !== null && st.ino !== undefined && st.ino !== cursor.inode) {
      return this.block(
        cursor,
        'replaced',
        `${this.path} was replaced by another file (inode ${cursor.inode} became ${st.ino}); ` +
          `reading stopped at line ${cursor.lineCount}, byte ${cursor.byteOffset}.`,
      );
    }
    if (st.size < cursor.byteOffset) {
      return this.block(
        cursor,
        'truncated',
        `${this.path} was truncated to ${st.size} bytes below the ${cursor.byteOffset} bytes already read; ` +
          `reading stopped at line ${cursor.lineCount}.`,
      );
    }
    if (st.size === cursor.byteOffset) return { chunks, cursor, blocked: null };

    const identity = await this.identity(cursor, st.size, st.ino ?? null);
    if ('replaced' in identity) {
      return this.block(
        cursor,
        'replaced',
        `${this.path} no longer starts with the bytes read before (its first ${cursor.headLen} bytes changed): ` +
          `it was rewritten in place. Reading stopped at line ${cursor.lineCount}, byte ${cursor.byteOffset}.`,
      );
    }
    let chunkSize = firstChunk;
    while (cursor.byteOffset < st.size) {
      const want = Math.min(chunkSize, st.size - cursor.byteOffset);
      const buf = await this.node.readRange(this.path, cursor.byteOffset, want);
      const lastNewline = buf.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        // No complete line yet: a partial line waits for its newline, a huge one gets a bigger read.
        if (buf.length < chunkSize || chunkSize >= maxLine) break;
        chunkSize *= 2;
        continue;
      }
      const applied = this.writer.applyChunk(this.runKey, cursor, buf.subarray(0, lastNewline + 1), identity);
      cursor = applied.cursor;
      chunks.push(applied.summary);
      chunkSize = firstChunk;
    }
    return { chunks, cursor, blocked: null };
  }

  /** Checks the file's head against the committed hash; returns the identity to commit next. */
  private async identity(
    cursor: Cursor,
    size: number,
    inode: number | null,
  ): Promise<FileIdentity | { replaced: true }> {
    const len = Math.min(headBytes, size);
    const head = await this.node.readRange(this.path, 0, len);
    if (
      cursor.headHash !== null &&
      (head.length < cursor.headLen || sha256(head.subarray(0, cursor.headLen)) !== cursor.headHash)
    ) {
      return { replaced: true };
    }
    return { inode, headLen: head.length, headHash: sha256(head) };
  }

  private block(cursor: Cursor, kind: 'truncated' | 'replaced' | 'missing', reason: string): PollResult {
    this.writer.blockStream(cursor, kind, reason);
    return { chunks: [], cursor: this.writer.cursors.get(this.runId, this.stream), blocked: reason };
  }
}

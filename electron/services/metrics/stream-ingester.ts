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
  /** Set when reading is stopped: the file was truncated or replaced by a different one. */
  blocked: string | null;
  /**
   * Set when the file is not there now (a moved or unmounted run directory). Nothing is blocked: reading
   * resumes where it stopped once the same file is back.
   */
  missing: string | null;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Tails one append-only JSONL stream of a run through a NodeHandle: reads from the committed byte
 * offset (never from the start again), takes only complete lines (a trailing partial line waits for
 * its newline), and commits rows and offset together. Truncation and replacement of the file (size
 * below the offset, a new inode, a different first 4 KB) stop reading with a recorded error; once the
 * same file is back (same inode, at least the bytes read, the same first 4 KB) reading goes on from
 * where it stopped. A file that is missing for now blocks nothing.
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
          return { chunks: [], cursor, blocked: cursor.blocked, missing: null };
        }
      }
    }
  }

  private async pollOnce(): Promise<PollResult> {
    let cursor = this.writer.cursors.get(this.runId, this.stream);
    const chunks: ChunkSummary[] = [];
    const st = await this.node.stat(this.path);
    if (st === null) {
      const missing =
        cursor.byteOffset === 0
          ? null
          : `${this.path} is missing (${cursor.lineCount} lines were read from it); reading resumes at line ` +
            `${cursor.lineCount + 1} once the same file is back.`;
      return { chunks, cursor, blocked: cursor.blocked, missing };
    }
    const change = await this.changeOf(cursor, st.size, st.ino ?? null);
    if ('kind' in change) {
      if (cursor.blocked) return { chunks, cursor, blocked: cursor.blocked, missing: null };
      return this.block(cursor, change.kind, change.reason);
    }
    if (cursor.blocked) {
      // The file that was read before is back (a run directory moved back, a disk mounted again).
      this.writer.unblockStream(cursor);
      cursor = this.writer.cursors.get(this.runId, this.stream);
      if (cursor.blocked) return { chunks, cursor, blocked: cursor.blocked, missing: null };
    }
    if (st.size === cursor.byteOffset) return { chunks, cursor, blocked: null, missing: null };
    const identity: FileIdentity = {
      inode: st.ino ?? null,
      headLen: change.head.length,
      headHash: sha256(change.head),
    };
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
    return { chunks, cursor, blocked: null, missing: null };
  }

  /**
   * How the file differs from the one read so far (another inode, shorter than the bytes read, another
   * first `headLen` bytes), or its first (up to) 4 KB when it is the same file. The head is compared
   * whenever the file holds more than was read, or reading was stopped (is the same file back?).
   */
  private async changeOf(
    cursor: Cursor,
    size: number,
    inode: number | null,
  ): Promise<{ kind: 'truncated' | 'replaced'; reason: string } | { head: Buffer }> {
    const where = `reading stopped at line ${cursor.lineCount}, byte ${cursor.byteOffset}`;
    const offer =
      "if it is the run's stream after all, read it from its first line with " +
      `\`moewb metrics ingest ${this.runId} --from-start\` (the points stored so far are kept)`;
    if (cursor.inode !== null && inode !== null && inode !== cursor.inode) {
      return {
        kind: 'replaced',
        reason: `${this.path} was replaced by another file (inode ${cursor.inode} became ${inode}); ${where}; ${offer}.`,
      };
    }
    if (size < cursor.byteOffset) {
      return {
        kind: 'truncated',
        reason:
          `${this.path} was truncated to ${size} bytes below the ${cursor.byteOffset} bytes already read; ` +
          `${where}; ${offer}.`,
      };
    }
    if (size === cursor.byteOffset && !cursor.blocked) return { head: Buffer.alloc(0) }; // nothing to read
    const head = await this.node.readRange(this.path, 0, Math.min(headBytes, size));
    if (
      cursor.headHash !== null &&
      (head.length < cursor.headLen || sha256(head.subarray(0, cursor.headLen)) !== cursor.headHash)
    ) {
      return {
        kind: 'replaced',
        reason:
          `${this.path} no longer starts with the bytes read before (its first ${cursor.headLen} bytes changed): ` +
          `it was rewritten in place; ${where}; ${offer}.`,
      };
    }
    return { head };
  }

  private block(cursor: Cursor, kind: 'truncated' | 'replaced', reason: string): PollResult {
    this.writer.blockStream(cursor, kind, reason);
    const now = this.writer.cursors.get(this.runId, this.stream);
    return { chunks: [], cursor: now, blocked: now.blocked, missing: null };
  }
}

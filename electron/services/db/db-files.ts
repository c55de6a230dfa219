import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** What a look at the database's files (before SQLite opens them) found wrong; empty when nothing. */
export interface FileProblem {
  /** Which file: the database itself or its write-ahead log. */
  file: string;
  message: string;
}

const sqliteMagic = Buffer.from('SQLite format 3\0', 'latin1');
const walHeaderBytes = 32;
const frameHeaderBytes = 24;

/**
 * Checks what SQLite would not report: a main file that is not a database at all, and a damaged frame in
 * the middle of the write-ahead log. SQLite stops replaying a WAL at its first frame with a wrong
 * checksum and silently drops every transaction after it (and deletes the WAL at the next checkpoint), so
 * a damaged frame followed by valid commits is data that opening the file would lose. A bad frame with no
 * valid commit after it is a write cut short by a crash, which WAL is designed to discard.
 */
export function inspectDatabaseFiles(path: string): FileProblem[] {
  const problems: FileProblem[] = [];
  if (existsSync(path)) {
    const size = statSync(path).size;
    if (size > 0) {
      const head = readHead(path, sqliteMagic.length);
      if (head.length < sqliteMagic.length || !head.equals(sqliteMagic)) {
        problems.push({ file: path, message: 'it is not an SQLite database (its first 16 bytes are not the header)' });
      }
    }
  }
  const walProblem = inspectWal(`${path}-wal`);
  if (walProblem) problems.push({ file: `${path}-wal`, message: walProblem });
  return problems;
}

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum (walChecksumBytes): pairs of 32-bit words, in the byte order the magic names. */
function checksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let s1 = s[0];
  let s2 = s[1];
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const a = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const b = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s1 = (s1 + a + s2) >>> 0;
    s2 = (s2 + b + s1) >>> 0;
  }
  return [s1, s2];
}

/** A description of the damage in a WAL file, or null when it replays whole (or there is none). */
export function inspectWal(walPath: string): string | null {
  if (!existsSync(walPath)) return null;
  const size = statSync(walPath).size;
  if (size < walHeaderBytes) return null; // never written, or reset: SQLite ignores it
  const fd = openSync(walPath, 'r');
  try {
    const header = Buffer.alloc(walHeaderBytes);
    readSync(fd, header, 0, walHeaderBytes, 0);
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) {
      return size > walHeaderBytes ? 'its header is not a write-ahead log header' : null;
    }
    const bigEndian = (magic & 1) === 1;
    const pageSize = header.readUInt32BE(8) || 65536;
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const headerSum = checksum(header.subarray(0, 24), bigEndian, [0, 0]);
    const frameBytes = frameHeaderBytes + pageSize;
    const frames = Math.floor((size - walHeaderBytes) / frameBytes);
    if (headerSum[0] !== header.readUInt32BE(24) || headerSum[1] !== header.readUInt32BE(28)) {
      return frames > 0 ? `its header checksum is wrong, so SQLite would ignore all ${frames} frames in it` : null;
    }
    const frame = Buffer.alloc(frameBytes);
    let running: [number, number] = headerSum;
    let firstBad = -1;
    let alternative: [number, number] | null = null;
    let lostCommits = 0;
    let badFrameCommits = false;
    for (let i = 0; i < frames; i++) {
      readSync(fd, frame, 0, frameBytes, walHeaderBytes + i * frameBytes);
      // Frames of an older generation (before the log was last reset) carry other salts; so may a damaged
      // frame of this one. Either way the chain breaks there; only this generation's frames continue it.
      const salted = frame.readUInt32BE(8) === salt1 && frame.readUInt32BE(12) === salt2;
      let sum = checksum(frame.subarray(0, 8), bigEndian, running);
      sum = checksum(frame.subarray(frameHeaderBytes), bigEndian, sum);
      const stored: [number, number] = [frame.readUInt32BE(16), frame.readUInt32BE(20)];
      let valid = salted && sum[0] === stored[0] && sum[1] === stored[1];
      if (!valid && i === firstBad + 1 && alternative) {
        // The damage may have hit the bad frame's stored checksum rather than its page: try the sum it had.
        let alt = checksum(frame.subarray(0, 8), bigEndian, alternative);
        alt = checksum(frame.subarray(frameHeaderBytes), bigEndian, alt);
        valid = salted && alt[0] === stored[0] && alt[1] === stored[1];
      }
      if (!valid && firstBad < 0) {
        firstBad = i;
        alternative = sum;
      } else if (!valid) break; // a second break in the chain: not frames of this log any more
      if (firstBad >= 0 && frame.readUInt32BE(4) !== 0) {
        if (i > firstBad) lostCommits += 1;
        else badFrameCommits = true; // its own transaction is lost too
      }
      // After a damaged frame, the chain goes on from the checksum it was written with.
      running = stored;
    }
    // Only valid commits after the bad frame tell damage from a crash's torn tail.
    if (firstBad >= 0 && lostCommits > 0) {
      const lost = lostCommits + (badFrameCommits ? 1 : 0);
      return (
        `frame ${firstBad + 1} of ${frames} is damaged (checksum mismatch); SQLite would stop reading there and ` +
        `drop the ${lost} committed transaction${lost === 1 ? '' : 's'} from that frame on`
      );
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ServiceError } from '../errors.js';

/** One `file <name> <bytes> <sha1>` line of a checkpoint MANIFEST (docs/checkpoints.md). */
export interface ManifestFile {
  name: string;
  bytes: number;
  sha1: string;
}

/** A parsed MANIFEST. */
export interface Manifest {
  format: number;
  step: number | null;
  tokens: number | null;
  files: ManifestFile[];
}

/** The MANIFEST format this workbench reads; a higher one is refused. */
export const manifestFormat = 1;

/** Parses MANIFEST text; unknown keys are ignored, a newer format or a malformed file line is refused. */
export function parseManifest(text: string, where: string): Manifest {
  const m: Manifest = { format: 0, step: null, tokens: null, files: [] };
  const bad = (line: string, why: string): ServiceError =>
    new ServiceError(
      'remote_failed',
      `${where}: ${why} ("${line.slice(0, 120)}").`,
      'The checkpoint is damaged; verify it, or use another checkpoint of the run.',
    );
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    const key = parts[0];
    if (key === 'format') m.format = Number(parts[1]);
    else if (key === 'step') m.step = Number(parts[1]);
    else if (key === 'tokens') m.tokens = Number(parts[1]);
    else if (key === 'file') {
      const [, name, bytes, sha1] = parts;
      if (
        parts.length !== 4 ||
        !name ||
        !/^[A-Za-z0-9._-]+$/.test(name) ||
        !/^\d+$/.test(bytes ?? '') ||
        !/^[0-9a-f]{40}$/.test(sha1 ?? '')
      ) {
        throw bad(line, 'a file line must be "file <name> <bytes> <sha1 hex>"');
      }
      m.files.push({ name, bytes: Number(bytes), sha1: sha1 as string });
    }
  }
  if (!Number.isInteger(m.format) || m.format < 1) throw bad(text.split('\n')[0] ?? '', 'no "format" line');
  if (m.format > manifestFormat) {
    throw new ServiceError(
      'remote_failed',
      `${where} has format ${m.format}; this workbench reads format ${manifestFormat}.`,
      'Update the workbench.',
    );
  }
  if (m.files.length === 0) throw bad(text.split('\n')[0] ?? '', 'no file lines');
  return m;
}

/** SHA-1 (hex) and size of a local file, streamed. */
export async function sha1File(path: string): Promise<{ sha1: string; bytes: number }> {
  const hash = createHash('sha1');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha1: hash.digest('hex'), bytes };
}

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { parseManifest, sha1File } from './manifest.js';

const sample = `format 1
step 400
tokens 1638400
created_by moetrain 0.1.0
future_key something
file model.pt 7771916 e7592cc53efe90f1559ec4bd0f0daa35c4264044
file trainer.pt 6876 3d10a74964f939ad912ef6de8beaa41ba398a850
`;

describe('checkpoint MANIFEST', () => {
  it('parses step, tokens and file lines, ignoring keys it does not know', () => {
    expect(parseManifest(sample, 'MANIFEST')).toEqual({
      format: 1,
      step: 400,
      tokens: 1638400,
      files: [
        { name: 'model.pt', bytes: 7771916, sha1: 'e7592cc53efe90f1559ec4bd0f0daa35c4264044' },
        { name: 'trainer.pt', bytes: 6876, sha1: '3d10a74964f939ad912ef6de8beaa41ba398a850' },
      ],
    });
  });

  it('refuses a newer format, a malformed file line and a file name with a path in it', () => {
    expect(() => parseManifest(sample.replace('format 1', 'format 2'), 'M')).toThrow(
      /format 2; this workbench reads format 1/,
    );
    expect(() => parseManifest(sample.replace('7771916', '77x'), 'M')).toThrow(
      /a file line must be "file <name> <bytes> <sha1 hex>"/,
    );
    expect(() => parseManifest(sample.replace('model.pt', '../model.pt'), 'M')).toThrow(/a file line must be/);
    expect(() => parseManifest('step 1\n', 'M')).toThrow(/no "format" line/);
  });

  it('hashes a file as sha1sum does', async () => {
    const path = join(tempDir('moewb-sha-'), 'blob');
    writeFileSync(path, Buffer.alloc(300_000, 7));
    const expected = execFileSync('sha1sum', [path], { encoding: 'utf8' }).split(' ')[0];
    expect(await sha1File(path)).toEqual({ sha1: expected, bytes: 300_000 });
  });
});

import { spawn } from 'node:child_process';
import { ServiceError } from '../errors.js';
import type { TrainerSources } from './sources.js';

/** Packs the source files into one tar archive (the system `tar`, file list on stdin). */
export function tarSources(sources: TrainerSources): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-c', '-f', '-', '-C', sources.root, '--null', '-T', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(
        new ServiceError(
          'internal',
          `Cannot run tar to pack the trainer sources: ${e.message}`,
          'Install tar on this machine.',
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else
        reject(
          new ServiceError(
            'internal',
            `tar failed packing the trainer sources: ${Buffer.concat(err).toString().trim()}`,
          ),
        );
    });
    child.stdin.on('error', () => {});
    child.stdin.end(sources.files.map((f) => `${f.rel}\0`).join(''));
  });
}

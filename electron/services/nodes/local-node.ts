import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { ServiceError } from '../errors.js';
import type { ConnectionState, ExecOptions, ExecResult, FileStat, NodeHandle, TransferProgress } from './node.js';

/** "This machine": commands run as child processes (never through a shell), files through fs. */
export class LocalNode implements NodeHandle {
  readonly id: string;
  readonly kind = 'local' as const;

  constructor(id = 'local') {
    this.id = id;
  }

  connectionState(): ConnectionState {
    return 'ready';
  }

  onConnectionState(): () => void {
    return () => {};
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new Error('An empty command cannot be run.'));
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, options.timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        out.push(b);
        options.onStdout?.(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        err.push(b);
        options.onStderr?.(b);
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (timedOut) {
          reject(
            new ServiceError('remote_failed', `\`${file}\` did not finish within ${options.timeoutMs} ms (timeout).`),
          );
          return;
        }
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      // A program that exits without reading its input must not turn into an EPIPE crash here.
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }

  async homeDir(): Promise<string> {
    return homedir();
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, isDirectory: s.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async writeFileAtomic(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const handle = await open(tmp, 'w', mode);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  async mkdirp(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async list(path: string): Promise<string[]> {
    try {
      return await readdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async upload(localPath: string, remotePath: string, onProgress?: TransferProgress): Promise<void> {
    await this.copy(localPath, remotePath, onProgress);
  }

  async download(remotePath: string, localPath: string, onProgress?: TransferProgress): Promise<void> {
    await this.copy(remotePath, localPath, onProgress);
  }

  async close(): Promise<void> {}

  private async copy(from: string, to: string, onProgress?: TransferProgress): Promise<void> {
    const size = (await stat(from)).size;
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
    onProgress?.(size, size);
  }
}

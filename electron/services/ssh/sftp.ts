/**
 * File operations over SFTP on an SshConnection. One SFTP channel per connection generation is opened
 * on demand and reused. Every operation here is idempotent (reads, mkdir -p, and writes that go to a
 * fresh temporary file renamed over the target), so one that fails because the connection dropped is
 * retried once after it is back.
 */
import { randomBytes } from 'node:crypto';
import { stat as localStat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { TransferProgress } from '../nodes/node.js';
import { ServiceError } from '../errors.js';
import type { SshConnection } from './connection.js';
import { describeTarget } from './target.js';

const noSuchFile = 2;

type SftpError = Error & { code?: number | string };

function isNoSuchFile(err: unknown): boolean {
  return (err as SftpError | undefined)?.code === noSuchFile;
}

function call<T = void>(fn: (cb: (err?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err as Error);
    }
  });
}

/** SFTP operations with promises, reconnect-aware. */
export class SshSftp {
  private session: { generation: number; sftp: Promise<SFTPWrapper> } | undefined;

  constructor(private readonly connection: SshConnection) {}

  /** Attributes of a path (following symlinks), or null when it does not exist. */
  async stat(path: string): Promise<Stats | null> {
    return this.op(`stat ${path}`, async (s) => {
      try {
        return await call<Stats>((cb) => s.stat(path, cb));
      } catch (err) {
        if (isNoSuchFile(err)) return null;
        throw err;
      }
    });
  }

  /** Resolves a path on the server (`.` is the login directory). */
  async realpath(path: string): Promise<string> {
    return this.op(`realpath ${path}`, (s) => call<string>((cb) => s.realpath(path, cb)));
  }

  /** Up to `length` bytes from `offset` (fewer at end of file). */
  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    return this.op(`read ${path}`, async (s) => {
      const handle = await call<Buffer>((cb) => s.open(path, 'r', cb));
      try {
        const buf = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const n = await call<number>((cb) =>
            s.read(handle, buf, filled, length - filled, offset + filled, (err, bytes) => cb(err, bytes)),
          );
          if (!n) break;
          filled += n;
        }
        return buf.subarray(0, filled);
      } finally {
        await call((cb) => s.close(handle, cb)).catch(() => {});
      }
    });
  }

  /** A whole file. */
  async readFile(path: string): Promise<Buffer> {
    return this.op(`read ${path}`, (s) => call<Buffer>((cb) => s.readFile(path, cb)));
  }

  /** Names in a directory (without . and ..); empty when the directory does not exist. */
  async list(path: string): Promise<string[]> {
    return this.op(`list ${path}`, async (s) => {
      try {
        const entries = await call<{ filename: string }[]>((cb) => s.readdir(path, cb));
        return entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..');
      } catch (err) {
        if (isNoSuchFile(err)) return [];
        throw err;
      }
    });
  }

  /** Creates a directory and its missing parents. */
  async mkdirp(path: string): Promise<void> {
    await this.op(`mkdir ${path}`, (s) => this.mkdirpWith(s, path));
  }

  /**
   * Writes a file atomically: a temporary file in the same directory (mode applied, fsynced where the
   * server supports it), then renamed over the target with posix-rename@openssh.com. Servers without
   * that extension get remove-then-rename, which has a short window where the target is missing.
   */
  async writeFileAtomic(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.op(`write ${path}`, async (s) => {
      await this.mkdirpWith(s, posix.dirname(path));
      const tmp = this.tempName(path);
      try {
        const handle = await call<Buffer>((cb) => s.open(tmp, 'w', { mode }, cb));
        try {
          let written = 0;
          while (written < bytes.length) {
            const n = Math.min(bytes.length - written, 256 * 1024);
            await call((cb) => s.write(handle, bytes, written, n, written, cb));
            written += n;
          }
          await call((cb) => s.fchmod(handle, mode, cb)); // the remote umask may have narrowed it
          await call((cb) => s.ext_openssh_fsync(handle, cb)).catch(() => {}); // optional extension
        } finally {
          await call((cb) => s.close(handle, cb)).catch(() => {});
        }
        await this.renameOver(s, tmp, path);
      } catch (err) {
        await call((cb) => s.unlink(tmp, cb)).catch(() => {});
        throw err;
      }
    });
  }

  /** Copies a local file to the server (to a temporary name, then renamed), keeping its permission bits. */
  async upload(localPath: string, remotePath: string, onProgress?: TransferProgress): Promise<void> {
    const info = await localStat(localPath);
    await this.op(`upload ${remotePath}`, async (s) => {
      await this.mkdirpWith(s, posix.dirname(remotePath));
      const tmp = this.tempName(remotePath);
      try {
        await call((cb) =>
          s.fastPut(
            localPath,
            tmp,
            { mode: info.mode & 0o777, step: (done, _chunk, total) => onProgress?.(done, total) },
            (err) => cb(err),
          ),
        );
        await call((cb) => s.chmod(tmp, info.mode & 0o777, cb));
        await this.renameOver(s, tmp, remotePath);
        if (info.size === 0) onProgress?.(0, 0);
      } catch (err) {
        await call((cb) => s.unlink(tmp, cb)).catch(() => {});
        throw err;
      }
    });
  }

  /** Copies a remote file here (fastGet writes the local path directly). */
  async download(remotePath: string, localPath: string, onProgress?: TransferProgress): Promise<void> {
    await this.op(`download ${remotePath}`, (s) =>
      call((cb) =>
        s.fastGet(remotePath, localPath, { step: (done, _chunk, total) => onProgress?.(done, total) }, (err) =>
          cb(err),
        ),
      ),
    );
  }

  /** Closes the SFTP channel (the connection stays). */
  close(): void {
    const session = this.session;
    this.session = undefined;
    void session?.sftp.then((s) => s.end()).catch(() => {});
  }

  private tempName(path: string): string {
    return posix.join(posix.dirname(path), `.${posix.basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  }

  private async renameOver(s: SFTPWrapper, from: string, to: string): Promise<void> {
    try {
      await call((cb) => s.ext_openssh_rename(from, to, cb));
      return;
    } catch (err) {
      if (!/does not support/.test((err as Error).message)) throw err;
    }
    // Plain SFTP rename refuses an existing target.
    await call((cb) => s.unlink(to, cb)).catch((err: unknown) => {
      if (!isNoSuchFile(err)) throw err;
    });
    await call((cb) => s.rename(from, to, cb));
  }

  private async mkdirpWith(s: SFTPWrapper, path: string): Promise<void> {
    const absolute = path.startsWith('/');
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    let current = absolute ? '/' : '';
    for (const part of parts) {
      current = current === '' ? part : posix.join(current, part);
      const st = await call<Stats>((cb) => s.stat(current, cb)).catch((err: unknown) => {
        if (isNoSuchFile(err)) return null;
        throw err;
      });
      if (st?.isDirectory()) continue;
      if (st)
        throw new ServiceError(
          'remote_failed',
          `Cannot create directory ${path}: ${current} exists and is not a directory.`,
        );
      await call((cb) => s.mkdir(current, cb)).catch(async (err: unknown) => {
        // Someone else may have created it meanwhile.
        const again = await call<Stats>((cb) => s.stat(current, cb)).catch(() => null);
        if (!again?.isDirectory()) throw err;
      });
    }
  }

  private sftp(): Promise<SFTPWrapper> {
    const generation = this.connection.generation;
    if (this.session && this.session.generation === generation) return this.session.sftp;
    const sftp = this.connection.client().then(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          client.sftp((err, s) => {
            if (err) return reject(err);
            s.on('close', () => {
              if (this.session?.sftp === sftp) this.session = undefined;
            });
            resolve(s);
          });
        }),
    );
    this.session = { generation: this.connection.generation, sftp };
    sftp.catch(() => {
      if (this.session?.sftp === sftp) this.session = undefined;
    });
    return sftp;
  }

  /** Runs an operation; retries it once when the connection dropped meanwhile; maps errors. */
  private async op<T>(what: string, fn: (s: SFTPWrapper) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const generation = this.connection.generation;
      try {
        const s = await this.sftp();
        return await fn(s);
      } catch (err) {
        if (err instanceof ServiceError && !(attempt === 0 && this.dropped(generation))) throw err;
        if (attempt === 0 && this.dropped(generation)) continue;
        const e = err as SftpError;
        const where = describeTarget(this.connection.target);
        if (isNoSuchFile(e)) {
          throw new ServiceError('not_found', `${what} on ${where}: no such file or directory.`);
        }
        throw new ServiceError('remote_failed', `SFTP ${what} on ${where} failed: ${e.message}`);
      }
    }
  }

  private dropped(generation: number): boolean {
    return this.connection.generation !== generation || this.connection.state() !== 'ready';
  }
}

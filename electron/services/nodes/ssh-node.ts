/**
 * A node reached over SSH. Commands are argument vectors turned into one remote command line by the
 * project's single quoting function; files go over SFTP. The connection is borrowed from the SshPool
 * and may reconnect underneath: file operations retry once after a drop, commands never re-run.
 *
 * stat and inodes: SFTP (v3, what OpenSSH speaks) carries no inode numbers. stat therefore first runs
 * `stat -L -c '%i %s %Y %f'` on the node (GNU coreutils and busybox understand it) to get inode, size,
 * mtime and type in one go; where that command is missing or speaks another dialect it falls back to
 * SFTP stat without `ino`, and callers detect a replaced file by size < offset and a changed head hash.
 */
import { ServiceError } from '../errors.js';
import { SshExec } from '../ssh/exec.js';
import type { SshLease, SshPool } from '../ssh/pool.js';
import { SshSftp } from '../ssh/sftp.js';
import type { SshTarget } from '../ssh/target.js';
import { shellCommand } from '../util/shell-quote.js';
import type { ConnectionState, ExecOptions, ExecResult, FileStat, NodeHandle, TransferProgress } from './node.js';

const statFormat = '%i %s %Y %f';
const fileTypeMask = 0o170000;
const directoryType = 0o040000;

/** Parses the output of `stat -c '%i %s %Y %f'`, or undefined when it is something else. */
export function parseStatOutput(output: string): FileStat | undefined {
  const m = /^(\d+) (\d+) (\d+) ([0-9a-fA-F]+)\s*$/.exec(output);
  if (!m) return undefined;
  const mode = parseInt(m[4] as string, 16);
  return {
    ino: Number(m[1]),
    size: Number(m[2]),
    mtimeMs: Number(m[3]) * 1000,
    isDirectory: (mode & fileTypeMask) === directoryType,
  };
}

/** A NodeHandle over SSH. */
export class SshNode implements NodeHandle {
  readonly kind = 'ssh' as const;
  private readonly execRunner: SshExec;
  private readonly files: SshSftp;
  private home: string | undefined;
  private statCommandWorks: boolean | undefined;
  private closed = false;
  private readonly unsubscribers = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly lease: SshLease,
  ) {
    this.execRunner = new SshExec(lease.connection);
    this.files = new SshSftp(lease.connection);
  }

  /** Borrows a (connected) connection for `target` from the pool; rejects with the connection's SshError. */
  static async open(id: string, target: SshTarget, pool: SshPool): Promise<SshNode> {
    return new SshNode(id, await pool.acquire(target));
  }

  /** The target this node connects to. */
  get target(): SshTarget {
    return this.lease.connection.target;
  }

  connectionState(): ConnectionState {
    return this.closed ? 'closed' : this.lease.connection.state();
  }

  onConnectionState(listener: (state: ConnectionState, detail?: string) => void): () => void {
    // The connection is shared through the pool; a closed node stops reporting its states.
    const off = this.lease.connection.onState(listener);
    const unsubscribe = () => {
      off();
      this.unsubscribers.delete(unsubscribe);
    };
    this.unsubscribers.add(unsubscribe);
    return unsubscribe;
  }

  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.assertOpen();
    return this.execRunner.run(shellCommand(argv), options);
  }

  async homeDir(): Promise<string> {
    this.assertOpen();
    this.home ??= await this.files.realpath('.');
    return this.home;
  }

  async stat(path: string): Promise<FileStat | null> {
    this.assertOpen();
    if (this.statCommandWorks !== false) {
      const res = await this.exec(['stat', '-L', '-c', statFormat, '--', path], { timeoutMs: 30_000 }).catch(
        () => undefined,
      );
      if (res && res.code === 0) {
        const parsed = parseStatOutput(res.stdout.toString('utf8'));
        if (parsed) {
          this.statCommandWorks = true;
          return parsed;
        }
        this.statCommandWorks = false; // a stat that does not speak GNU's -c: use SFTP from now on
      }
    }
    const st = await this.files.stat(path);
    if (!st) return null;
    return { size: st.size, mtimeMs: st.mtime * 1000, isDirectory: st.isDirectory() };
  }

  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new ServiceError('invalid_request', `Invalid byte range ${offset}+${length} for ${path}.`);
    }
    if (length === 0) return Buffer.alloc(0);
    return this.files.readRange(path, offset, length);
  }

  async readFile(path: string): Promise<Buffer> {
    this.assertOpen();
    return this.files.readFile(path);
  }

  async writeFileAtomic(path: string, data: Buffer | string, mode?: number): Promise<void> {
    this.assertOpen();
    await this.files.writeFileAtomic(path, data, mode);
  }

  async mkdirp(path: string): Promise<void> {
    this.assertOpen();
    await this.files.mkdirp(path);
  }

  async list(path: string): Promise<string[]> {
    this.assertOpen();
    return this.files.list(path);
  }

  async upload(localPath: string, remotePath: string, onProgress?: TransferProgress): Promise<void> {
    this.assertOpen();
    await this.files.upload(localPath, remotePath, onProgress);
  }

  async download(remotePath: string, localPath: string, onProgress?: TransferProgress): Promise<void> {
    this.assertOpen();
    await this.files.download(remotePath, localPath, onProgress);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of [...this.unsubscribers]) off();
    this.files.close();
    this.lease.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceError('unavailable', `Node ${this.id} was closed.`);
  }
}

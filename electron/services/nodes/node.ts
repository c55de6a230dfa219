/**
 * A machine the workbench can run things on. "This machine" (LocalNode) and every SSH host (SshNode)
 * implement this one interface, so deploy, launch, liveness and metrics ingestion are written once.
 *
 * Commands are argument vectors. LocalNode runs them directly; SshNode turns them into one remote
 * command string with the project's single POSIX quoting function (util/shell-quote.ts). Code that needs
 * shell syntax (redirection, `&`, `setsid`) runs `['sh', '-c', script]`, where `script` interpolates
 * every variable part through that same quoting function.
 */

/** Result of a finished remote or local command. */
export interface ExecResult {
  /** Exit code; null when the command died from a signal. */
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Options of exec. */
export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  stdin?: Buffer | string;
  /** Kills the command (and on SSH, closes its channel) after this long; the promise rejects with `timeout`. */
  timeoutMs?: number;
  /** Streams output as it arrives (build logs); the full output is still returned. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Aborts the command. */
  signal?: AbortSignal;
}

/** File facts used to detect truncation or replacement of a tailed file. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  /** Inode number where the node can tell it (both LocalNode and SFTP on Linux can). */
  ino?: number;
  isDirectory: boolean;
}

/** Progress of a transfer. */
export type TransferProgress = (transferredBytes: number, totalBytes: number) => void;

/** The state of the node's connection, for the UI; LocalNode is always `ready`. */
export type ConnectionState = 'connecting' | 'authenticating' | 'ready' | 'reconnecting' | 'closed' | 'failed';

/** A machine that runs commands and holds files. */
export interface NodeHandle {
  /** The node profile id in the store ("local" for This machine). */
  readonly id: string;
  readonly kind: 'local' | 'ssh';
  /** Current connection state. */
  connectionState(): ConnectionState;
  /** Subscribes to connection state changes; returns the unsubscribe function. */
  onConnectionState(listener: (state: ConnectionState, detail?: string) => void): () => void;

  /** Runs a command given as an argument vector; resolves with its exit status and output. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /** The user's home directory on the node (absolute). */
  homeDir(): Promise<string>;
  /** Facts about a path, or null when it does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Reads up to `length` bytes starting at byte `offset` (fewer at end of file). */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  /** Reads a whole (small) file. */
  readFile(path: string): Promise<Buffer>;
  /** Writes a file atomically (temporary file in the same directory, then rename), creating parents. */
  writeFileAtomic(path: string, data: Buffer | string, mode?: number): Promise<void>;
  /** Creates a directory and its parents. */
  mkdirp(path: string): Promise<void>;
  /** Lists a directory's entry names (empty when it does not exist). */
  list(path: string): Promise<string[]>;
  /** Copies a local file to the node. */
  upload(localPath: string, remotePath: string, onProgress?: TransferProgress): Promise<void>;
  /** Copies a file from the node to this machine. */
  download(remotePath: string, localPath: string, onProgress?: TransferProgress): Promise<void>;

  /** Releases the node's resources (connections return to the pool). */
  close(): Promise<void>;
}

/**
 * Runs one remote command string on an SshConnection (the caller quotes it: util/shell-quote.ts).
 * A command is never re-sent: if the connection drops while it runs, the call fails with
 * `ssh_unreachable` and says the command may or may not have completed.
 */
import type { ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult } from '../nodes/node.js';
import { ServiceError } from '../errors.js';
import type { SshConnection } from './connection.js';
import { describeTarget } from './target.js';

const maxOpenRetries = 5;

/** Why an exec ended without an exit status. */
export type ExecFailureReason = 'timeout' | 'aborted' | 'connection_lost';

/** A remote command that timed out, was aborted, or lost its connection. */
export class ExecError extends ServiceError {
  constructor(
    readonly reason: ExecFailureReason,
    message: string,
    hint?: string,
  ) {
    super(reason === 'connection_lost' ? 'ssh_unreachable' : 'remote_failed', message, hint);
    this.name = 'ExecError';
  }
}

type ChannelInternals = {
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  outgoing?: { id: number; state: string };
};

/**
 * Asks sshd to signal the command's process group. ssh2's ClientChannel.signal() sends nothing once
 * stdin has been closed (it requires the channel to be writable), although RFC 4254 section 6.9 allows
 * a signal at any time and OpenSSH honours it; so make the same protocol call it would make.
 */
function signalRemote(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as ChannelInternals;
  const out = internals.outgoing;
  const send = internals._client?._protocol?.signal;
  if (out && send && (out.state === 'open' || out.state === 'eof')) {
    send.call(internals._client?._protocol, out.id, name);
  } else {
    channel.signal(name);
  }
}

function shortCommand(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ');
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}

/**
 * Waits for `promise`, but rejects at the deadline or on abort. A value that arrives too late is handed
 * to `onLate` (to give back a channel slot).
 */
function bounded<T>(
  promise: Promise<T>,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
  aborted: () => Error,
  timedOut: () => Error,
  onLate?: (value: T) => void,
): Promise<T> {
  if (deadline === undefined && !signal) return promise;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
      return true;
    };
    const onAbort = () => settle(() => reject(aborted()));
    const timer =
      deadline !== undefined
        ? setTimeout(() => settle(() => reject(timedOut())), Math.max(0, deadline - Date.now()))
        : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        if (!settle(() => resolve(value))) onLate?.(value);
      },
      (err: unknown) => settle(() => reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

/** Executes commands over a connection. */
export class SshExec {
  constructor(private readonly connection: SshConnection) {}

  /** Runs `command` (one already-quoted command line) and resolves with its exit status and output. */
  async run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    const where = describeTarget(this.connection.target);
    const aborted = () => new ExecError('aborted', `Command aborted: ${shortCommand(command)}`);
    const timedOut = () =>
      new ExecError('timeout', `Command timed out after ${options.timeoutMs} ms on ${where}: ${shortCommand(command)}`);
    if (signal?.aborted) throw aborted();
    // The timeout and the abort signal also bound waiting for a free channel and for a (re)connection.
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined;
    const release = await bounded(this.connection.channelSlot(), deadline, signal, aborted, timedOut, (late) => late());
    try {
      return await this.runOnChannel(command, options, deadline, aborted, timedOut);
    } finally {
      release();
    }
  }

  private async runOnChannel(
    command: string,
    options: ExecOptions,
    deadline: number | undefined,
    aborted: () => ExecError,
    timedOut: () => ExecError,
  ): Promise<ExecResult> {
    const { signal } = options;
    const where = describeTarget(this.connection.target);
    const client = await bounded(this.connection.client(), deadline, signal, aborted, timedOut);
    const generation = this.connection.generation;

    return new Promise<ExecResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exit: { code: number | null; signal: string | null } | undefined;
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;

      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        offDrop();
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        if (settled) return;
        cleanup();
        if (channel) {
          // Ask the remote side to stop the process, then close the channel whatever it answers.
          try {
            signalRemote(channel, 'TERM');
          } catch {
            // the channel is already going away
          }
          channel.close();
        }
        reject(err);
      };
      const onAbort = () => fail(aborted());
      signal?.addEventListener('abort', onAbort, { once: true });
      const offDrop = this.connection.onDrop((lost) => {
        if (lost !== generation) return;
        fail(
          new ExecError(
            'connection_lost',
            `The connection to ${where} was lost while running: ${shortCommand(command)}. ` +
              'It may or may not have completed; it was not re-run.',
            'Check the result on the node before running it again.',
          ),
        );
      });
      if (deadline !== undefined) timer = setTimeout(() => fail(timedOut()), Math.max(0, deadline - Date.now()));

      let openAttempt = 0;
      const open = () =>
        client.exec(command, (err, stream) => {
          if (err) {
            // A refused channel never started the command, so opening again is no replay. Servers
            // refuse when a just-closed session is not released yet (MaxSessions); wait a little.
            if (
              !settled &&
              openAttempt < maxOpenRetries &&
              this.connection.generation === generation &&
              this.connection.state() === 'ready'
            ) {
              setTimeout(() => !settled && open(), 50 * 2 ** openAttempt++);
              return;
            }
            return fail(
              new ServiceError(
                'remote_failed',
                `Cannot start a command on ${where}: ${err.message}`,
                'The server limits sessions (MaxSessions) or refuses commands; retry later.',
              ),
            );
          }
          onChannel(stream);
        });
      const onChannel = (stream: ClientChannel) => {
        if (settled) return void stream.close();
        channel = stream;
        stream.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          options.onStdout?.(chunk);
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          stderr.push(chunk);
          options.onStderr?.(chunk);
        });
        stream.on('exit', (code: number | null, sig?: string) => {
          exit = { code: typeof code === 'number' ? code : null, signal: sig ?? null };
        });
        stream.on('close', () => {
          if (settled) return;
          if (!exit) {
            // OpenSSH always reports an exit status or signal; without one the session itself died.
            fail(
              new ExecError(
                'connection_lost',
                `The session on ${where} ended without an exit status while running: ${shortCommand(command)}. ` +
                  'It may or may not have completed; it was not re-run.',
                'Check the result on the node before running it again.',
              ),
            );
            return;
          }
          cleanup();
          resolve({
            code: exit.code,
            signal: exit.signal,
            stdout: Buffer.concat(stdout),
            stderr: Buffer.concat(stderr),
          });
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      };
      open();
    });
  }
}

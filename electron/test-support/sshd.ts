/**
 * A real OpenSSH server for tests: /usr/sbin/sshd on 127.0.0.1 and a free port, with its own host key,
 * authorized_keys, config, pid file and debug log in a temporary directory. Every path is absolute because
 * sshd re-executes itself. It can restart with a new host key on the same port, and act as a jump host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './paths.js';
import { descendants, processAlive, waitFor, type ProcInfo } from './processes.js';
import { keygenFingerprint } from './ssh-keys.js';

const sshdBinary = '/usr/sbin/sshd';

/** How a test sshd is set up. */
export interface SshdOptions {
  /** Public key lines (OpenSSH format) allowed to log in. */
  authorizedKeys?: string[];
  /** Host key algorithm (default ed25519). */
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** Allow TCP forwarding (needed for a jump host). */
  allowTcpForwarding?: boolean;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

/** The server's current host key. */
export interface SshdHostKey {
  type: string;
  /** `type base64` as it would appear in known_hosts. */
  publicLine: string;
  /** `SHA256:...` per ssh-keygen. */
  fingerprint: string;
}

const running = new Set<TestSshd>();
process.once('exit', () => {
  for (const sshd of running) sshd.killNow();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function sshdVersion(): [number, number] {
  const res = spawnSync(sshdBinary, ['-V'], { encoding: 'utf8' });
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(`${res.stdout}${res.stderr}`);
  if (!m) throw new Error(`Cannot tell the OpenSSH version of ${sshdBinary}: ${res.stderr}`);
  return [Number(m[1]), Number(m[2])];
}

/** A running OpenSSH server owned by one test file. */
export class TestSshd {
  /** Where the server listens. */
  readonly host = '127.0.0.1';
  /** The account tests log in as (the user running the tests). */
  readonly user = userInfo().username;
  port = 0;
  hostKey: SshdHostKey = { type: '', publicLine: '', fingerprint: '' };
  private child: ChildProcess | undefined;
  private keyGeneration = 0;

  private constructor(
    /** The server's private directory (config, keys, log). */
    readonly dir: string,
    private readonly options: SshdOptions,
  ) {}

  /** The debug log sshd writes (-E). */
  get logFile(): string {
    return join(this.dir, 'sshd.log');
  }

  /** Starts a server on a free port and waits until it listens. */
  static async start(options: SshdOptions = {}): Promise<TestSshd> {
    mkdirSync('/run/sshd', { recursive: true });
    const sshd = new TestSshd(tempDir('moewb-sshd-'), options);
    writeFileSync(join(sshd.dir, 'authorized_keys'), (options.authorizedKeys ?? []).map((k) => `${k}\n`).join(''));
    sshd.generateHostKey(options.hostKeyType ?? 'ed25519');
    running.add(sshd);
    for (let attempt = 0; ; attempt++) {
      sshd.port = await freePort();
      try {
        await sshd.launch();
        return sshd;
      } catch (err) {
        if (attempt >= 4) {
          await sshd.stop();
          throw err;
        }
      }
    }
  }

  /** Adds a public key line to authorized_keys (takes effect for new connections). */
  authorize(publicLine: string): void {
    const file = join(this.dir, 'authorized_keys');
    writeFileSync(file, `${readFileSync(file, 'utf8')}${publicLine}\n`);
  }

  /** The log so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** A position in the log, for logSince. */
  logMark(): number {
    return Buffer.byteLength(this.log());
  }

  /** The log written after `mark`. */
  logSince(mark: number): string {
    return Buffer.from(this.log()).subarray(mark).toString('utf8');
  }

  /** Waits until the log after `mark` contains `text` (sshd's processes write it asynchronously). */
  async waitForLog(mark: number, text: string | RegExp, timeoutMs = 5_000): Promise<string> {
    return waitFor(
      () => {
        const log = this.logSince(mark);
        return (typeof text === 'string' ? log.includes(text) : text.test(log)) ? log : '';
      },
      `sshd to log ${String(text)}`,
      timeoutMs,
    );
  }

  /** Waits until sshd has logged the end of a client connection after `mark`; returns the log. */
  async waitForDisconnect(mark: number): Promise<string> {
    return this.waitForLog(mark, /Received disconnect from|Connection closed by|Connection reset by|Disconnected from/);
  }

  /** The authentication requests sshd logged after `mark` ("userauth-request for user ..."). */
  userauthRequests(mark: number): string[] {
    return this.logSince(mark)
      .split('\n')
      .filter((line) => line.includes('userauth-request'));
  }

  /** The per-connection sshd processes (everything sshd forked for clients), not the listener. */
  connectionProcesses(): ProcInfo[] {
    const pid = this.child?.pid;
    if (pid === undefined) return [];
    return descendants(pid).filter((p) => p.comm.startsWith('sshd'));
  }

  /** Sends a signal to every per-connection sshd process (SIGKILL drops the sessions, SIGSTOP silences them). */
  signalConnections(signal: NodeJS.Signals): number {
    const procs = this.connectionProcesses();
    for (const p of procs) {
      try {
        process.kill(p.pid, signal);
      } catch {
        // already gone
      }
    }
    return procs.length;
  }

  /** Stops the server and its sessions, then starts it again on the same port, optionally with a new host key. */
  async restart(options: { newHostKey?: boolean; hostKeyType?: SshdOptions['hostKeyType'] } = {}): Promise<void> {
    await this.stopProcesses();
    if (!running.has(this)) throw new Error('This sshd was stopped for good.');
    if (options.newHostKey || options.hostKeyType) {
      this.generateHostKey(options.hostKeyType ?? this.options.hostKeyType ?? 'ed25519');
    }
    await waitFor(() => this.connectionProcesses().length === 0, 'old sshd sessions to end');
    await this.launch();
  }

  /** Stops the listener and all sessions but keeps the directory, so restart() can bring it back. */
  async stopServer(): Promise<void> {
    await this.stopProcesses();
  }

  /** Stops the server and all its sessions and removes its directory. */
  async stop(): Promise<void> {
    await this.stopProcesses();
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last-resort cleanup (process exit). */
  killNow(): void {
    for (const p of this.connectionProcesses()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.child?.kill('SIGKILL');
  }

  private generateHostKey(type: NonNullable<SshdOptions['hostKeyType']>): void {
    this.keyGeneration += 1;
    const path = join(this.dir, `host_key_${this.keyGeneration}`);
    const args = ['-q', '-t', type, '-N', '', '-C', '', '-f', path];
    if (type === 'rsa') args.push('-b', '2048');
    const res = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
    const [keyType = '', base64 = ''] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
    this.hostKey = { type: keyType, publicLine: `${keyType} ${base64}`, fingerprint: keygenFingerprint(`${path}.pub`) };
    this.writeConfig(path);
  }

  private writeConfig(hostKeyPath: string): void {
    const [major, minor] = sshdVersion();
    const lines = [
      // sshd uses the first value it reads for a keyword, so the test's own lines go first.
      ...(this.options.extraConfig ?? []),
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowTcpForwarding ${this.options.allowTcpForwarding ? 'yes' : 'no'}`,
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel DEBUG1',
      'MaxStartups 100',
      'MaxSessions 50',
      'Subsystem sftp internal-sftp',
      // bash sources ~/.bashrc for commands run by sshd unless it looks nested (SHLVL >= 1); a slow
      // .bashrc on the test machine (pyenv init takes seconds) would dominate every exec.
      'SetEnv SHLVL=1',
      // Newer servers slow down clients that fail often; tests fail on purpose.
      ...(major > 9 || (major === 9 && minor >= 8) ? ['PerSourcePenalties no'] : []),
    ];
    writeFileSync(join(this.dir, 'sshd_config'), `${lines.join('\n')}\n`);
  }

  private async launch(): Promise<void> {
    const mark = this.logMark();
    const child = spawn(
      sshdBinary,
      ['-D', '-f', join(this.dir, 'sshd_config'), '-E', this.logFile, '-o', `Port=${this.port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    this.child = child;
    const listening = `Server listening on 127.0.0.1 port ${this.port}`;
    try {
      await waitFor(() => {
        if (child.exitCode !== null) {
          throw new Error(`sshd exited (${child.exitCode}): ${stderr}${this.logSince(mark)}`);
        }
        return this.logSince(mark).includes(listening);
      }, `sshd to listen on port ${this.port}`);
    } catch (err) {
      child.kill('SIGKILL');
      this.child = undefined;
      throw err;
    }
  }

  private async stopProcesses(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const sessions = this.connectionProcesses();
    for (const p of sessions) {
      try {
        process.kill(p.pid, 'SIGCONT'); // a stopped process cannot die from SIGTERM
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await waitFor(() => sessions.every((p) => !processAlive(p.pid)), 'sshd sessions to exit');
    this.child = undefined;
  }
}

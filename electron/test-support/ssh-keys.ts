import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './processes.js';

/** A key pair written by ssh-keygen. */
export interface TestKey {
  /** Path of the private key file. */
  privatePath: string;
  /** The public key as an OpenSSH line (`type base64 comment`). */
  publicLine: string;
  /** `SHA256:...` as ssh-keygen prints it. */
  fingerprint: string;
}

/** The OpenSSH fingerprint of a public key file, from ssh-keygen itself. */
export function keygenFingerprint(publicPath: string): string {
  const res = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicPath], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`ssh-keygen -l failed: ${res.stderr}`);
  const fp = res.stdout.split(' ')[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen output: ${res.stdout}`);
  return fp;
}

/** Generates a key pair with ssh-keygen (ed25519 unless told otherwise). */
export function generateKey(
  dir: string,
  name: string,
  options: { type?: 'ed25519' | 'ecdsa' | 'rsa'; passphrase?: string } = {},
): TestKey {
  const privatePath = join(dir, name);
  const type = options.type ?? 'ed25519';
  const args = ['-q', '-t', type, '-N', options.passphrase ?? '', '-C', `${name}@test`, '-f', privatePath];
  if (type === 'rsa') args.push('-b', '2048');
  // Few KDF rounds: test keys need no brute-force resistance, and each decryption costs test time.
  if (options.passphrase) args.push('-a', '2');
  const res = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
  return {
    privatePath,
    publicLine: readFileSync(`${privatePath}.pub`, 'utf8').trim(),
    fingerprint: keygenFingerprint(`${privatePath}.pub`),
  };
}

/** A real ssh-agent on a socket in a test directory. */
export class TestAgent {
  private constructor(
    /** The agent's socket (what SSH_AUTH_SOCK would hold). */
    readonly socket: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts `ssh-agent -D -a <dir>/agent.sock` and waits for its socket. */
  static async start(dir: string): Promise<TestAgent> {
    const socket = join(dir, 'agent.sock');
    const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    const agent = new TestAgent(socket, child);
    await waitFor(() => existsSync(socket), 'ssh-agent socket');
    return agent;
  }

  /** Adds an unencrypted private key to the agent with ssh-add. */
  add(privatePath: string): void {
    const res = spawnSync('ssh-add', [privatePath], {
      encoding: 'utf8',
      env: { ...process.env, SSH_AUTH_SOCK: this.socket },
    });
    if (res.status !== 0) throw new Error(`ssh-add failed: ${res.stderr}`);
  }

  /** Stops the agent. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

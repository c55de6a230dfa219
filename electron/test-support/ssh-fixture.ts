import { join } from 'node:path';
import type { SecretStore } from '../services/secrets/secret-store.js';
import type { SshPrompter } from '../services/ssh/auth.js';
import { HostKeyStore } from '../services/ssh/host-keys.js';
import type { SshTarget } from '../services/ssh/target.js';
import { tempDir } from './paths.js';
import { generateKey, type TestKey } from './ssh-keys.js';
import { TestSshd, type SshdOptions } from './sshd.js';

/** A client side for tests: a data directory with the workbench's known_hosts, and a key. */
export interface SshClientSide {
  dir: string;
  key: TestKey;
  hostKeys: HostKeyStore;
  /** Records the server's current host key as trusted (what the UI does after the user agrees). */
  trust(sshd: TestSshd): Promise<void>;
  /** A target for the sshd, logging in with `key` unless overridden. */
  target(sshd: TestSshd, overrides?: Partial<SshTarget>): SshTarget;
}

/** Creates a client side (no user known_hosts unless given). */
export function clientSide(userKnownHostsFiles: string[] = []): SshClientSide {
  const dir = tempDir('moewb-client-');
  const key = generateKey(dir, 'id_ed25519');
  const hostKeys = new HostKeyStore({ userKnownHostsFiles, workbenchKnownHostsFile: join(dir, 'data', 'known_hosts') });
  return {
    dir,
    key,
    hostKeys,
    trust: (sshd) =>
      hostKeys.trust({ host: sshd.host, port: sshd.port, key: sshd.hostKey.publicLine.split(' ')[1] as string }),
    target: (sshd, overrides = {}) => ({
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFiles: [key.privatePath],
      jump: [],
      ...overrides,
    }),
  };
}

/** Starts an sshd that accepts the client's key. */
export async function sshdFor(client: SshClientSide, options: SshdOptions = {}): Promise<TestSshd> {
  return TestSshd.start({ ...options, authorizedKeys: [client.key.publicLine, ...(options.authorizedKeys ?? [])] });
}

/** A SecretStore wrapper that counts reads, to prove no secret was touched. */
export class CountingSecretStore implements SecretStore {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: SecretStore) {}
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get reason(): string | undefined {
    return this.inner.reason;
  }
  async get(key: string): Promise<string | undefined> {
    this.reads += 1;
    return this.inner.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.writes += 1;
    await this.inner.set(key, value);
  }
  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
  }
}

/** A prompter that answers from fixed values and records what it was asked. */
export function recordingPrompter(answers: {
  passphrases?: string[];
  passwords?: string[];
  keyboard?: string[][];
  remember?: boolean;
}): SshPrompter & { asked: string[] } {
  const passphrases = [...(answers.passphrases ?? [])];
  const passwords = [...(answers.passwords ?? [])];
  const keyboard = [...(answers.keyboard ?? [])];
  const asked: string[] = [];
  const remember = answers.remember ?? false;
  return {
    asked,
    passphrase: async (req) => {
      asked.push(`passphrase ${req.keyPath} #${req.attempt}`);
      const v = passphrases.shift();
      return v === undefined ? null : { value: v, remember };
    },
    password: async (req) => {
      asked.push(`password ${req.user}@${req.host}:${req.port} #${req.attempt}`);
      const v = passwords.shift();
      return v === undefined ? null : { value: v, remember };
    },
    keyboardInteractive: async (req) => {
      asked.push(`keyboard ${req.prompts.map((p) => `${p.prompt}${p.echo ? '(echo)' : ''}`).join('|')}`);
      return keyboard.shift() ?? null;
    },
  };
}

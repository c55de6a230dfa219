/**
 * Client authentication for one hop, in OpenSSH's order: the agent, then each identity file (asking for
 * a passphrase when the key is encrypted), then keyboard-interactive, then password. Secrets come from
 * the secret store or the prompter only when a method is actually tried, which happens only after the
 * host key was verified. Nothing here logs or returns a secret.
 */
import { stat, readFile } from 'node:fs/promises';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type AuthenticationType } from 'ssh2';
import type { SecretStore } from '../secrets/secret-store.js';
import { hostPort, type SshTarget } from './target.js';

/** A secret typed by the user, and whether to keep it in the secret store. */
export interface SecretAnswer {
  value: string;
  remember: boolean;
}

/** Asks the user for what authentication needs; answer null to skip that method. */
export interface SshPrompter {
  /** The passphrase of an encrypted private key; `attempt` counts from 1 (a wrong one is asked again). */
  passphrase?(request: { keyPath: string; target: string; attempt: number }): Promise<SecretAnswer | null>;
  /** The account password. */
  password?(request: { user: string; host: string; port: number; attempt: number }): Promise<SecretAnswer | null>;
  /** Answers to a keyboard-interactive round (one per prompt, in order). */
  keyboardInteractive?(request: {
    user: string;
    host: string;
    port: number;
    name: string;
    instructions: string;
    prompts: { prompt: string; echo: boolean }[];
  }): Promise<string[] | null>;
}

/** What authentication may use. */
export interface AuthOptions {
  secrets?: SecretStore;
  prompter?: SshPrompter;
  /** The default agent socket (SSH_AUTH_SOCK); a hop's IdentityAgent overrides it. */
  agentSocket?: string;
}

/** Secret store key of a private key's passphrase. */
export function passphraseSecretKey(keyPath: string): string {
  return `ssh/key-passphrase/${keyPath}`;
}

/** Secret store key of an account password. */
export function passwordSecretKey(user: string, host: string, port: number): string {
  return `ssh/password/${user}@${hostPort(host, port)}`;
}

const maxPromptAttempts = 3;

function isEncryptedKeyError(err: Error): boolean {
  return /passphrase|encrypted/i.test(err.message);
}

type Step = { method: AuthenticationType; produce: () => Promise<AnyAuthMethod | null> };

/** The authentication state of one connection attempt to one hop. */
export class AuthSession {
  /** Every attempt, in order (method and which key), for error messages. Never contains secrets. */
  readonly tried: string[] = [];
  /** What the server last said it accepts. */
  serverMethods: string[] = [];
  private readonly steps: Step[];
  private pendingSave: { key: string; value: string } | undefined;

  constructor(
    private readonly hop: SshTarget,
    private readonly options: AuthOptions,
    /** Wraps every wait on the user, so the caller can pause its timers meanwhile. */
    private readonly whilePrompting: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {
    this.steps = this.buildSteps();
  }

  /** The ssh2 authHandler. */
  readonly handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (methodsLeft) this.serverMethods = [...methodsLeft];
    this.pendingSave = undefined; // the previous attempt failed
    void this.nextMethod(methodsLeft).then(
      (method) => next(method ?? (false as never)),
      () => next(false as never),
    );
  };

  /** Call when authentication succeeded: saves a password the user asked to remember. */
  async succeeded(): Promise<void> {
    const save = this.pendingSave;
    this.pendingSave = undefined;
    if (save && this.options.secrets) await this.options.secrets.set(save.key, save.value);
  }

  private async nextMethod(methodsLeft: AuthenticationType[] | null): Promise<AnyAuthMethod | null> {
    for (;;) {
      const step = this.steps.shift();
      if (!step) return null;
      if (methodsLeft && step.method !== 'none' && !methodsLeft.includes(step.method)) continue;
      const method = await step.produce();
      if (method) return method;
    }
  }

  private buildSteps(): Step[] {
    const { hop } = this;
    const username = hop.user;
    const steps: Step[] = [{ method: 'none', produce: async () => ({ type: 'none', username }) }];
    const agent = hop.identityAgent === undefined ? this.options.agentSocket : hop.identityAgent;
    if (agent) {
      steps.push({
        method: 'publickey',
        produce: async () => {
          const exists = await stat(agent).then(
            () => true,
            () => false,
          );
          this.tried.push(exists ? 'agent' : `agent (no agent listening at ${agent})`);
          return exists ? { type: 'agent', username, agent } : null;
        },
      });
    }
    for (const keyPath of hop.identityFiles) {
      steps.push({ method: 'publickey', produce: () => this.keyMethod(keyPath) });
    }
    const prompter = this.options.prompter;
    if (prompter?.keyboardInteractive) {
      const ask = prompter.keyboardInteractive.bind(prompter);
      steps.push({
        method: 'keyboard-interactive',
        produce: async () => {
          this.tried.push('keyboard-interactive');
          return {
            type: 'keyboard-interactive',
            username,
            prompt: (name, instructions, _lang, prompts, finish) => {
              if (prompts.length === 0) return finish([]);
              this.whilePrompting(() =>
                ask({
                  user: username,
                  host: hop.host,
                  port: hop.port,
                  name,
                  instructions,
                  prompts: prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true })),
                }),
              ).then(
                (answers) => finish(answers ?? prompts.map(() => '')),
                () => finish(prompts.map(() => '')),
              );
            },
          };
        },
      });
    }
    const secretKey = passwordSecretKey(username, hop.host, hop.port);
    steps.push({
      method: 'password',
      produce: async () => {
        const saved = await this.options.secrets?.get(secretKey);
        if (saved === undefined) return null;
        this.tried.push('password (saved)');
        return { type: 'password', username, password: saved };
      },
    });
    if (prompter?.password) {
      const ask = prompter.password.bind(prompter);
      for (let attempt = 1; attempt <= 2; attempt++) {
        steps.push({
          method: 'password',
          produce: async () => {
            const answer = await this.whilePrompting(() =>
              ask({ user: username, host: hop.host, port: hop.port, attempt }),
            );
            if (!answer) return null;
            this.tried.push('password');
            if (answer.remember) this.pendingSave = { key: secretKey, value: answer.value };
            return { type: 'password', username, password: answer.value };
          },
        });
      }
    }
    return steps;
  }

  /** A publickey method for one identity file, decrypting it with a saved or asked-for passphrase. */
  private async keyMethod(keyPath: string): Promise<AnyAuthMethod | null> {
    const username = this.hop.user;
    let data: Buffer;
    try {
      data = await readFile(keyPath);
    } catch (err) {
      this.tried.push(`publickey ${keyPath} (cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return null;
    }
    const plain = ssh2.utils.parseKey(data);
    if (!(plain instanceof Error)) {
      this.tried.push(`publickey ${keyPath}`);
      return { type: 'publickey', username, key: data };
    }
    if (!isEncryptedKeyError(plain)) {
      this.tried.push(`publickey ${keyPath} (not a usable private key: ${plain.message})`);
      return null;
    }
    const secretKey = passphraseSecretKey(keyPath);
    const saved = await this.options.secrets?.get(secretKey);
    if (saved !== undefined && !(ssh2.utils.parseKey(data, saved) instanceof Error)) {
      this.tried.push(`publickey ${keyPath} (saved passphrase)`);
      return { type: 'publickey', username, key: data, passphrase: saved };
    }
    const prompter = this.options.prompter;
    if (!prompter?.passphrase) {
      this.tried.push(`publickey ${keyPath} (encrypted; no passphrase given)`);
      return null;
    }
    const ask = prompter.passphrase.bind(prompter);
    for (let attempt = 1; attempt <= maxPromptAttempts; attempt++) {
      const answer = await this.whilePrompting(() =>
        ask({ keyPath, target: hostPort(this.hop.host, this.hop.port), attempt }),
      );
      if (!answer) break;
      if (ssh2.utils.parseKey(data, answer.value) instanceof Error) continue;
      // The passphrase is verified locally, so it is right whatever the server decides.
      if (answer.remember && this.options.secrets) await this.options.secrets.set(secretKey, answer.value);
      this.tried.push(`publickey ${keyPath}`);
      return { type: 'publickey', username, key: data, passphrase: answer.value };
    }
    this.tried.push(`publickey ${keyPath} (encrypted; no correct passphrase given)`);
    return null;
  }
}

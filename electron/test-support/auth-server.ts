/**
 * An in-process ssh2 Server for the two authentication methods a test sshd cannot offer safely:
 * password and keyboard-interactive need a real account password (and PAM for keyboard-interactive),
 * and tests must not set passwords on this machine's accounts. Everything else uses the real sshd.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Server, utils, type AuthContext } from 'ssh2';

/** What the server accepts. */
export interface AuthServerOptions {
  password?: string;
  keyboard?: { prompts: { prompt: string; echo: boolean }[]; answers: string[] };
}

/** A running in-process SSH server on 127.0.0.1. */
export class TestAuthServer {
  readonly host = '127.0.0.1';
  port = 0;
  /** Every authentication request, in order (`method user`); secrets are not recorded. */
  readonly attempts: string[] = [];
  /** `type base64` of the server's host key. */
  readonly hostKeyLine: string;
  readonly fingerprint: string;
  private readonly server: Server;

  private constructor(options: AuthServerOptions) {
    const pair = utils.generateKeyPairSync('ed25519');
    const [type, b64] = pair.public.split(' ') as [string, string];
    this.hostKeyLine = `${type} ${b64}`;
    this.fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
    const allowed = [
      ...(options.password ? (['password'] as const) : []),
      ...(options.keyboard ? (['keyboard-interactive'] as const) : []),
    ];
    this.server = new Server({ hostKeys: [pair.private] }, (conn) => {
      conn.on('error', () => {});
      conn.on('authentication', (ctx: AuthContext) => {
        this.attempts.push(`${ctx.method} ${ctx.username}`);
        if (ctx.method === 'password' && options.password !== undefined) {
          return ctx.password === options.password ? ctx.accept() : ctx.reject([...allowed]);
        }
        if (ctx.method === 'keyboard-interactive' && options.keyboard) {
          const expected = options.keyboard.answers;
          return ctx.prompt(options.keyboard.prompts, (answers) =>
            answers.length === expected.length && answers.every((a, i) => a === expected[i])
              ? ctx.accept()
              : ctx.reject([...allowed]),
          );
        }
        ctx.reject([...allowed]);
      });
      conn.on('ready', () => {
        conn.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            stream.write(`ran: ${info.command}\n`);
            stream.exit(0);
            stream.end();
          });
        });
      });
    });
  }

  /** Starts listening on a free loopback port. */
  static async start(options: AuthServerOptions): Promise<TestAuthServer> {
    const s = new TestAuthServer(options);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', () => resolve()));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** Stops listening and drops connections. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

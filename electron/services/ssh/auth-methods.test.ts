// Password and keyboard-interactive run against an in-process ssh2 Server (test-support/auth-server.ts):
// a real sshd would need a real account password, and PAM for keyboard-interactive, and these tests
// must not set passwords on this machine's accounts. Keys, agent and host keys use the real sshd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/secret-store.js';
import { TestAuthServer } from '../../test-support/auth-server.js';
import { clientSide, recordingPrompter, type SshClientSide } from '../../test-support/ssh-fixture.js';
import { passwordSecretKey } from './auth.js';
import { SshConnection } from './connection.js';
import { SshError, type AuthFailedDetails } from './errors.js';
import { SshExec } from './exec.js';
import type { SshTarget } from './target.js';

let client: SshClientSide;
let passwordServer: TestAuthServer;
let keyboardServer: TestAuthServer;
const open: SshConnection[] = [];

function target(server: TestAuthServer): SshTarget {
  return { host: server.host, port: server.port, user: 'alice', identityFiles: [], jump: [] };
}

function conn(...args: ConstructorParameters<typeof SshConnection>): SshConnection {
  const c = new SshConnection(...args);
  open.push(c);
  return c;
}

beforeAll(async () => {
  client = clientSide();
  passwordServer = await TestAuthServer.start({ password: 'hunter2' });
  keyboardServer = await TestAuthServer.start({
    keyboard: {
      prompts: [
        { prompt: 'Password: ', echo: false },
        { prompt: 'Code: ', echo: true },
      ],
      answers: ['pw', '123456'],
    },
  });
  for (const s of [passwordServer, keyboardServer]) {
    await client.hostKeys.trust({ host: s.host, port: s.port, key: s.hostKeyLine.split(' ')[1] as string });
  }
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await passwordServer?.stop();
  await keyboardServer?.stop();
});

describe('password and keyboard-interactive authentication', () => {
  it('asks for the password, retries a wrong one, and saves it only after it worked', async () => {
    const secrets = new MemorySecretStore('test');
    const prompter = recordingPrompter({ passwords: ['wrong', 'hunter2'], remember: true });
    const c = conn(target(passwordServer), { hostKeys: client.hostKeys, secrets, prompter });
    await c.connect();
    expect(prompter.asked).toEqual([
      `password alice@127.0.0.1:${passwordServer.port} #1`,
      `password alice@127.0.0.1:${passwordServer.port} #2`,
    ]);
    expect(passwordServer.attempts).toEqual(['none alice', 'password alice', 'password alice']);
    expect(await secrets.get(passwordSecretKey('alice', '127.0.0.1', passwordServer.port))).toBe('hunter2');
    expect((await new SshExec(c).run('hello')).stdout.toString()).toBe('ran: hello\n');

    // The saved password is used without asking.
    const silent = recordingPrompter({});
    await conn(target(passwordServer), { hostKeys: client.hostKeys, secrets, prompter: silent }).connect();
    expect(silent.asked).toEqual([]);
  });

  it('fails with ssh_auth_failed naming the methods tried, and saves nothing', async () => {
    const secrets = new MemorySecretStore('test');
    const prompter = recordingPrompter({ passwords: ['wrong-pw-1', 'wrong-pw-2'], remember: true });
    const err = await conn(target(passwordServer), { hostKeys: client.hostKeys, secrets, prompter })
      .connect()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    const e = err as SshError<AuthFailedDetails>;
    expect(e.code).toBe('ssh_auth_failed');
    expect(e.details.methodsTried).toEqual(['password', 'password']);
    expect(e.details.serverMethods).toEqual(['password']);
    expect(`${e.message} ${e.hint} ${JSON.stringify(e.details)}`).not.toMatch(/wrong-pw/);
    expect(await secrets.get(passwordSecretKey('alice', '127.0.0.1', passwordServer.port))).toBeUndefined();
  });

  it('answers keyboard-interactive prompts through the prompter, with their echo flags', async () => {
    const prompter = recordingPrompter({ keyboard: [['pw', '123456']] });
    const c = conn(target(keyboardServer), { hostKeys: client.hostKeys, prompter });
    await c.connect();
    expect(prompter.asked).toEqual(['keyboard Password: |Code: (echo)']);
    expect(keyboardServer.attempts).toEqual(['none alice', 'keyboard-interactive alice']);
  });

  it('checks the host key of this server too before any authentication', async () => {
    const fresh = clientSide();
    const before = passwordServer.attempts.length;
    const prompter = recordingPrompter({ passwords: ['hunter2'] });
    const err = await conn(target(passwordServer), { hostKeys: fresh.hostKeys, prompter })
      .connect()
      .catch((e: unknown) => e);
    expect((err as SshError).code).toBe('ssh_host_key_unknown');
    expect((err as SshError).details).toMatchObject({ fingerprint: passwordServer.fingerprint });
    expect(passwordServer.attempts.length).toBe(before);
    expect(prompter.asked).toEqual([]);
  });
});

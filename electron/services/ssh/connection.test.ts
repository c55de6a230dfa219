import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/secret-store.js';
import {
  clientSide,
  CountingSecretStore,
  recordingPrompter,
  sshdFor,
  type SshClientSide,
} from '../../test-support/ssh-fixture.js';
import { generateKey, TestAgent } from '../../test-support/ssh-keys.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { passphraseSecretKey } from './auth.js';
import { SshConnection, type ConnectionState } from './connection.js';
import { SshError, type AuthFailedDetails, type HostKeyDetails, type UnreachableDetails } from './errors.js';
import { SshExec } from './exec.js';

let client: SshClientSide;
let sshd: TestSshd;
let agent: TestAgent | undefined;
const open: SshConnection[] = [];

function connection(...args: ConstructorParameters<typeof SshConnection>): SshConnection {
  const c = new SshConnection(...args);
  open.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<SshError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SshError);
  return err as SshError;
}

beforeAll(async () => {
  client = clientSide();
  sshd = await sshdFor(client);
  await client.trust(sshd);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await agent?.stop();
  await sshd?.stop();
});

describe('SshConnection against a real sshd', () => {
  it('logs in with a key file, in strict KEX mode, without agent forwarding, through explicit states', async () => {
    const states: ConnectionState[] = [];
    const debug: string[] = [];
    const mark = sshd.logMark();
    const conn = connection(client.target(sshd), { hostKeys: client.hostKeys }, { debug: (m) => debug.push(m) });
    conn.onState((s) => states.push(s));
    await conn.connect();
    expect(states).toEqual(['connecting', 'authenticating', 'ready']);
    const res = await new SshExec(conn).run('echo "$USER" hello; echo err >&2; exit 3');
    expect(res.stdout.toString()).toBe(`${sshd.user} hello\n`);
    expect(res.stderr.toString()).toBe('err\n');
    expect(res.code).toBe(3);
    expect(debug).toContain('Handshake: strict KEX mode enabled');
    const log = await sshd.waitForLog(mark, /Accepted publickey for \S+ from 127\.0\.0\.1/);
    expect(log).not.toContain('auth-agent-req');
    await conn.close();
    expect(conn.state()).toBe('closed');
  });

  it('decrypts a passphrase-protected key with the asked-for passphrase, remembers it, and reuses it', async () => {
    const key = generateKey(client.dir, 'id_locked', { passphrase: 'correct horse' });
    sshd.authorize(key.publicLine);
    const secrets = new MemorySecretStore('test');
    const prompter = recordingPrompter({ passphrases: ['wrong', 'correct horse'], remember: true });
    const conn = connection(client.target(sshd, { identityFiles: [key.privatePath] }), {
      hostKeys: client.hostKeys,
      secrets,
      prompter,
    });
    await conn.connect();
    expect(prompter.asked).toEqual([`passphrase ${key.privatePath} #1`, `passphrase ${key.privatePath} #2`]);
    expect(await secrets.get(passphraseSecretKey(key.privatePath))).toBe('correct horse');
    await conn.close();

    const silent = recordingPrompter({});
    const again = connection(client.target(sshd, { identityFiles: [key.privatePath] }), {
      hostKeys: client.hostKeys,
      secrets,
      prompter: silent,
    });
    await again.connect();
    expect(silent.asked).toEqual([]);
  });

  it('without a passphrase the encrypted key is skipped and the failure lists what was tried', async () => {
    const key = generateKey(client.dir, 'id_locked2', { passphrase: 'secret' });
    sshd.authorize(key.publicLine);
    const conn = connection(client.target(sshd, { identityFiles: [key.privatePath, join(client.dir, 'nope')] }), {
      hostKeys: client.hostKeys,
    });
    const err = await failure(conn.connect());
    expect(err.code).toBe('ssh_auth_failed');
    const details = err.details as AuthFailedDetails;
    expect(details.methodsTried).toEqual([
      `publickey ${key.privatePath} (encrypted; no passphrase given)`,
      `publickey ${join(client.dir, 'nope')} (cannot read: ENOENT)`,
    ]);
    expect(details.serverMethods).toContain('publickey');
    expect(err.message).not.toContain('secret');
    expect(conn.state()).toBe('failed');
  });

  it('logs in through a real ssh-agent', async () => {
    const agentKey = generateKey(client.dir, 'id_agent');
    sshd.authorize(agentKey.publicLine);
    agent = await TestAgent.start(client.dir);
    agent.add(agentKey.privatePath);
    const mark = sshd.logMark();
    const conn = connection(client.target(sshd, { identityFiles: [] }), {
      hostKeys: client.hostKeys,
      agentSocket: agent.socket,
    });
    await conn.connect();
    expect(await sshd.waitForLog(mark, `Accepted publickey for ${sshd.user}`)).toContain(agentKey.fingerprint);
  });

  it('reports a refused port as ssh_unreachable with the address', async () => {
    const conn = connection(client.target(sshd, { port: 1 }), { hostKeys: client.hostKeys });
    const err = await failure(conn.connect());
    expect(err.code).toBe('ssh_unreachable');
    expect(err.details).toMatchObject({
      kind: 'unreachable',
      address: '127.0.0.1:1',
      cause: 'ECONNREFUSED',
    } satisfies Partial<UnreachableDetails>);
  });

  it('stops at an unknown host key before any authentication, then connects once the key is trusted', async () => {
    const fresh = clientSide(); // trusts nothing
    sshd.authorize(fresh.key.publicLine);
    const secrets = new CountingSecretStore(new MemorySecretStore('test'));
    const prompter = recordingPrompter({ passwords: ['x'] });
    const mark = sshd.logMark();
    const target = fresh.target(sshd);
    const conn = connection(target, { hostKeys: fresh.hostKeys, secrets, prompter });
    const err = await failure(conn.connect());
    expect(err.code).toBe('ssh_host_key_unknown');
    const details = err.details as HostKeyDetails;
    expect(details).toMatchObject({
      kind: 'host_key',
      status: 'unknown',
      host: '127.0.0.1',
      port: sshd.port,
      keyType: 'ssh-ed25519',
      fingerprint: sshd.hostKey.fingerprint,
    });
    expect(details.hop).toBeUndefined();
    expect(err.message).toContain(sshd.hostKey.fingerprint);
    expect(await sshd.waitForDisconnect(mark)).toContain('Connection from 127.0.0.1');
    expect(sshd.userauthRequests(mark)).toEqual([]);
    expect(secrets.reads).toBe(0);
    expect(prompter.asked).toEqual([]);

    await fresh.hostKeys.trust({
      host: details.host,
      port: details.port,
      key: details.key,
      fingerprint: details.fingerprint,
    });
    await conn.connect();
    expect(conn.state()).toBe('ready');
  });

  it('refuses a changed host key before any userauth request and never reads a secret', async () => {
    const own = await sshdFor(client);
    try {
      await client.trust(own);
      const key = generateKey(client.dir, 'id_locked3', { passphrase: 'pp' });
      own.authorize(key.publicLine);
      const secrets = new CountingSecretStore(new MemorySecretStore('test'));
      await secrets.set(passphraseSecretKey(key.privatePath), 'pp');
      const target = client.target(own, { identityFiles: [key.privatePath] });
      const ok = connection(target, { hostKeys: client.hostKeys, secrets });
      await ok.connect();
      await ok.close();
      expect(secrets.reads).toBe(1);

      const oldFingerprint = own.hostKey.fingerprint;
      await own.restart({ newHostKey: true });
      expect(own.hostKey.fingerprint).not.toBe(oldFingerprint);
      const mark = own.logMark();
      const prompter = recordingPrompter({ passphrases: ['pp'], passwords: ['pw'] });
      const conn = connection(target, { hostKeys: client.hostKeys, secrets, prompter });
      const err = await failure(conn.connect());
      expect(err.code).toBe('ssh_host_key_changed');
      expect(err.details).toMatchObject({
        kind: 'host_key',
        status: 'changed',
        fingerprint: own.hostKey.fingerprint,
        port: own.port,
      });
      expect((err.details as HostKeyDetails).recordedAt).toMatch(/known_hosts:\d+$/);
      expect(await own.waitForDisconnect(mark)).toContain('Connection from 127.0.0.1');
      expect(own.userauthRequests(mark)).toEqual([]);
      expect(secrets.reads).toBe(1); // only the earlier, legitimate login
      expect(prompter.asked).toEqual([]);
      // It is never offered as "accept": trusting the new key is refused too.
      const details = err.details as HostKeyDetails;
      await expect(
        client.hostKeys.trust({ host: details.host, port: details.port, key: details.key }),
      ).rejects.toMatchObject({ code: 'ssh_host_key_changed' });
    } finally {
      await own.stop();
    }
  });

  it('queues commands beyond maxChannels, and re-opens a channel the server refused (never started)', async () => {
    const limited = await sshdFor(client, { extraConfig: ['MaxSessions 4'] });
    const tight = await sshdFor(client, { extraConfig: ['MaxSessions 2'] });
    try {
      await client.trust(limited);
      await client.trust(tight);
      const log = join(client.dir, `sessions-${limited.port}.log`);
      const exec = new SshExec(connection(client.target(limited), { hostKeys: client.hostKeys }, { maxChannels: 2 }));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => exec.run(`echo start >> ${log}; sleep 0.1; echo end >> ${log}; echo ${i}`)),
      );
      expect(results.map((r) => r.stdout.toString())).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
      let running = 0;
      let most = 0;
      for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
        running += line === 'start' ? 1 : -1;
        most = Math.max(most, running);
      }
      expect(most).toBe(2); // the server would have allowed 4

      // More channels than the server allows: the refused opens are retried until sessions free up.
      const mark = tight.logMark();
      const greedy = new SshExec(connection(client.target(tight), { hostKeys: client.hostKeys }, { maxChannels: 6 }));
      const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => greedy.run(`sleep 0.05; echo ${i}`)));
      expect(outs.map((r) => r.stdout.toString())).toEqual(Array.from({ length: 6 }, (_, i) => `${i}\n`));
      await tight.waitForLog(mark, 'server_input_channel_open: failure session'); // it did refuse some
    } finally {
      await limited.stop();
      await tight.stop();
    }
  });

  it('refuses a key marked @revoked in the user known_hosts', async () => {
    const dir = clientSide().dir;
    const userFile = join(dir, 'known_hosts');
    writeFileSync(userFile, `@revoked [127.0.0.1]:${sshd.port} ${sshd.hostKey.publicLine}\n`);
    const revoking = clientSide([userFile]);
    sshd.authorize(revoking.key.publicLine);
    await revoking.trust(sshd).catch(() => {}); // refused, as it should be
    const mark = sshd.logMark();
    const err = await failure(connection(revoking.target(sshd), { hostKeys: revoking.hostKeys }).connect());
    expect(err.code).toBe('ssh_host_key_changed');
    expect(err.details).toMatchObject({ status: 'revoked' });
    await sshd.waitForDisconnect(mark);
    expect(sshd.userauthRequests(mark)).toEqual([]);
  });
});

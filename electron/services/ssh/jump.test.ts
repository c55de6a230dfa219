import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSide, sshdFor, type SshClientSide } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { SshConnection } from './connection.js';
import { SshError, type HostKeyDetails } from './errors.js';
import { SshExec } from './exec.js';
import type { SshTarget } from './target.js';

let client: SshClientSide;
let jump: TestSshd;
let target: TestSshd;
const open: SshConnection[] = [];

function via(): SshTarget {
  return client.target(target, { jump: [client.target(jump)] });
}

async function connectError(t: SshTarget, c: SshClientSide = client): Promise<SshError> {
  const conn = new SshConnection(t, { hostKeys: c.hostKeys });
  open.push(conn);
  const err = await conn.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SshError);
  return err as SshError;
}

beforeAll(async () => {
  client = clientSide();
  jump = await sshdFor(client, { allowTcpForwarding: true });
  target = await sshdFor(client);
  await client.trust(jump);
  await client.trust(target);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await jump?.stop();
  await target?.stop();
});

describe('ProxyJump through a second sshd', () => {
  it('reaches the target through the jump host, each verified under its own name', async () => {
    const jumpMark = jump.logMark();
    const conn = new SshConnection(via(), { hostKeys: client.hostKeys });
    open.push(conn);
    await conn.connect();
    const res = await new SshExec(conn).run('echo through');
    expect(res.stdout.toString()).toBe('through\n');
    // The jump host opened the TCP connection to the target for us.
    await jump.waitForLog(jumpMark, `target 127.0.0.1 port ${target.port}`);
    await conn.close();
  });

  it('fails when only the target changed its key, before the target sees any userauth request', async () => {
    await target.restart({ newHostKey: true });
    const mark = target.logMark();
    const err = await connectError(via());
    expect(err.code).toBe('ssh_host_key_changed');
    const details = err.details as HostKeyDetails;
    expect(details).toMatchObject({ host: '127.0.0.1', port: target.port, fingerprint: target.hostKey.fingerprint });
    expect(details.hop).toBeUndefined(); // the target itself, not the jump host
    expect(await target.waitForDisconnect(mark)).toContain('Connection from 127.0.0.1');
    expect(target.userauthRequests(mark)).toEqual([]);
  });

  it('reports an unknown jump host key for the jump host (hop 0), without touching the target', async () => {
    const fresh = clientSide();
    await fresh.trust(target); // only the target is known
    jump.authorize(fresh.key.publicLine);
    target.authorize(fresh.key.publicLine);
    const jumpMark = jump.logMark();
    const targetMark = target.logMark();
    const err = await connectError(fresh.target(target, { jump: [fresh.target(jump)] }), fresh);
    expect(err.code).toBe('ssh_host_key_unknown');
    expect(err.details).toMatchObject({
      kind: 'host_key',
      status: 'unknown',
      host: '127.0.0.1',
      port: jump.port,
      hop: 0,
      fingerprint: jump.hostKey.fingerprint,
    });
    expect(err.message).toContain('jump host');
    await jump.waitForDisconnect(jumpMark);
    expect(jump.userauthRequests(jumpMark)).toEqual([]);
    expect(target.logSince(targetMark)).not.toContain('Connection from');

    // Once the jump host is trusted, the chain works.
    const details = err.details as HostKeyDetails;
    await fresh.hostKeys.trust({ host: details.host, port: details.port, key: details.key });
    const conn = new SshConnection(fresh.target(target, { jump: [fresh.target(jump)] }), { hostKeys: fresh.hostKeys });
    open.push(conn);
    await conn.connect();
    expect(conn.state()).toBe('ready');
  });

  it('says which hop could not be reached', async () => {
    const err = await connectError(client.target(target, { port: 1, jump: [client.target(jump)] }));
    expect(err.code).toBe('ssh_unreachable');
    expect(err.details).toMatchObject({ kind: 'unreachable', port: 1 });
    expect((err.details as { address: string }).address).toContain('via');
  });
});

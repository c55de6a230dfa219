import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSide, sshdFor, type SshClientSide } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { waitFor } from '../../test-support/processes.js';
import { backoffDelay, defaultReconnectPolicy, PausableTimer } from './backoff.js';
import { SshNode } from '../nodes/ssh-node.js';
import { SshPool } from './pool.js';
import { targetKey } from './target.js';

let client: SshClientSide;
let sshd: TestSshd;

beforeAll(async () => {
  client = clientSide();
  sshd = await sshdFor(client);
  await client.trust(sshd);
});

afterAll(async () => {
  await sshd?.stop();
});

describe('SshPool', () => {
  it('lends one connection per host, port, user and jump chain, and closes it when the last holder returns it', async () => {
    const pool = new SshPool({ hostKeys: client.hostKeys }, { idleCloseMs: 0 });
    try {
      const a = await pool.acquire(client.target(sshd));
      const b = await pool.acquire(client.target(sshd, { identityFiles: [client.key.privatePath] }));
      expect(b.connection).toBe(a.connection);
      expect(pool.size).toBe(1);
      a.release();
      a.release(); // a second release of the same lease does nothing
      expect(b.connection.state()).toBe('ready');
      b.release();
      expect(a.connection.state()).toBe('closed');
      expect(pool.size).toBe(0);

      const c = await pool.acquire(client.target(sshd));
      expect(c.connection).not.toBe(a.connection);
      c.release();
    } finally {
      await pool.closeAll();
    }
  });

  it('keeps an idle connection for the next borrower until the idle time passes', async () => {
    const pool = new SshPool({ hostKeys: client.hostKeys }, { idleCloseMs: 60_000 });
    try {
      const a = await pool.acquire(client.target(sshd));
      a.release();
      const b = await pool.acquire(client.target(sshd));
      expect(b.connection).toBe(a.connection);
      expect(b.connection.state()).toBe('ready');
      b.release();
    } finally {
      await pool.closeAll();
    }
  });

  it('drops a connection whose first attempt failed, so the next borrower starts afresh', async () => {
    const fresh = clientSide(); // trusts nothing
    sshd.authorize(fresh.key.publicLine);
    const pool = new SshPool({ hostKeys: fresh.hostKeys }, { idleCloseMs: 60_000 });
    try {
      await expect(pool.acquire(fresh.target(sshd))).rejects.toMatchObject({ code: 'ssh_host_key_unknown' });
      expect(pool.size).toBe(0);
      await fresh.trust(sshd);
      const lease = await pool.acquire(fresh.target(sshd));
      expect(lease.connection.state()).toBe('ready');
      lease.release();
    } finally {
      await pool.closeAll();
    }
  });

  it('shares one connection between nodes; a closed node stops reporting its states', async () => {
    const pool = new SshPool({ hostKeys: client.hostKeys }, { idleCloseMs: 0, reconnect: { initialDelayMs: 50 } });
    try {
      const a = await SshNode.open('a', client.target(sshd), pool);
      const b = await SshNode.open('b', client.target(sshd), pool);
      const seenByA: string[] = [];
      const seenByB: string[] = [];
      a.onConnectionState((st) => seenByA.push(st));
      b.onConnectionState((st) => seenByB.push(st));
      await a.close();
      expect(a.connectionState()).toBe('closed');
      expect(b.connectionState()).toBe('ready');
      await expect(a.exec(['true'])).rejects.toMatchObject({ code: 'unavailable' });
      sshd.signalConnections('SIGKILL'); // the shared connection drops and comes back
      await waitFor(() => seenByB.includes('ready'), 'b to see the reconnection');
      expect(seenByB).toEqual(['reconnecting', 'ready']);
      expect(seenByA).toEqual([]);
      await b.close();
    } finally {
      await pool.closeAll();
    }
  });

  it('keys targets by user, host, port and jump chain', () => {
    const t = { host: 'gpu1', port: 22, user: 'u', identityFiles: [], jump: [] };
    const j = { host: 'bastion', port: 2222, user: 'v', identityFiles: [], jump: [] };
    expect(targetKey(t)).toBe('u@gpu1:22');
    expect(targetKey({ ...t, jump: [j] })).toBe('v@bastion:2222 -> u@gpu1:22');
    expect(targetKey({ ...t, host: '::1' })).toBe('u@[::1]:22');
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially to the cap, minus up to `jitter` of each delay', () => {
    const policy = { ...defaultReconnectPolicy, initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 0.5 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffDelay(3, policy, () => 1)).toBe(4000);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(22_500);
  });

  it('a paused timer does not run out while paused', async () => {
    let fired = 0;
    const timer = new PausableTimer(40, () => (fired = Date.now()));
    const start = Date.now();
    timer.pause();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toBe(0);
    timer.resume();
    await new Promise((r) => setTimeout(r, 120));
    expect(fired - start).toBeGreaterThanOrEqual(110);
    timer.clear();
  });
});

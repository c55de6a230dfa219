import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ConnectionState } from './node.js';
import { ExecError } from '../ssh/exec.js';
import { SshPool, type SshPoolOptions } from '../ssh/pool.js';
import { shellQuote } from '../util/shell-quote.js';
import { tempDir } from '../../test-support/paths.js';
import { listProcesses, processAlive, waitFor } from '../../test-support/processes.js';
import { clientSide, sshdFor } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { SshNode } from './ssh-node.js';

const cleanups: (() => Promise<void> | void)[] = [];
const markers: string[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => {
  // Remote commands the tests left running on purpose (they are on this machine).
  for (const p of listProcesses()) {
    try {
      const cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      if (p.pid !== process.pid && markers.some((m) => cmd.includes(m))) process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

async function setup(options: SshPoolOptions): Promise<{ sshd: TestSshd; node: SshNode; states: ConnectionState[] }> {
  const client = clientSide();
  const sshd = await sshdFor(client);
  cleanups.push(() => sshd.stop());
  await client.trust(sshd);
  const pool = new SshPool({ hostKeys: client.hostKeys }, { idleCloseMs: 0, ...options });
  cleanups.push(() => pool.closeAll());
  const node = await SshNode.open('gpu1', client.target(sshd), pool);
  const states: ConnectionState[] = [];
  node.onConnectionState((s) => states.push(s));
  return { sshd, node, states };
}

function untilState(node: SshNode, wanted: ConnectionState, timeoutMs = 15_000): Promise<number> {
  return waitFor(() => (node.connectionState() === wanted ? Date.now() : 0), `state ${wanted}`, timeoutMs, 5);
}

describe('SshNode when the SSH session dies', () => {
  it('reconnects after the session is killed; detached work survives and in-flight commands are not re-run', async () => {
    const { sshd, node, states } = await setup({ reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 } });
    const dir = tempDir('moewb-remote-');
    const done = join(dir, 'done');
    const counter = join(dir, 'counter');
    const marker = `moewb-inflight-${randomBytes(4).toString('hex')}`;
    markers.push(marker);

    // A detached job, as a run launch starts it: its own session, no ties to the SSH channel.
    const job = `sleep 2; echo done > ${shellQuote(done)}`;
    await node.exec(['sh', '-c', `setsid sh -c ${shellQuote(job)} </dev/null >/dev/null 2>&1 &`]);
    // A command still running when the link dies; it appends one line each time it is started.
    const inflight = node.exec(['sh', '-c', `echo started >> ${shellQuote(counter)}; sleep 30`, marker]);
    await waitFor(() => existsSync(counter), 'the in-flight command to start');

    expect(sshd.signalConnections('SIGKILL')).toBeGreaterThan(0);
    const err = await inflight.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).reason).toBe('connection_lost');
    expect((err as ExecError).message).toMatch(/not re-run/);

    await untilState(node, 'ready');
    expect(states).toEqual(['reconnecting', 'ready']);
    expect(existsSync(done)).toBe(false); // the job was still sleeping when the session died
    const content = await waitFor(async () => {
      const st = await node.stat(done);
      return st && st.size > 0 ? (await node.readFile(done)).toString() : undefined;
    }, 'the detached job to finish');
    expect(content).toBe('done\n');
    expect(readFileSync(counter, 'utf8')).toBe('started\n'); // never replayed
  });

  it('keepalive detects a silenced link within interval × (countMax + 1), then reconnects', async () => {
    const intervalMs = 300;
    const countMax = 2;
    const { sshd, node } = await setup({
      keepaliveIntervalMs: intervalMs,
      keepaliveCountMax: countMax,
      reconnect: { initialDelayMs: 50 },
    });
    expect((await node.exec(['true'])).code).toBe(0);
    // Freeze the server side of the session: the TCP connection stays open, nothing answers.
    const frozen = sshd.connectionProcesses().map((p) => p.pid);
    cleanups.push(() => {
      for (const pid of frozen) {
        if (!processAlive(pid)) continue;
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        } catch {
          // it ended on its own once resumed
        }
      }
    });
    expect(frozen.length).toBeGreaterThan(0);
    let detectedAt = 0;
    node.onConnectionState((s) => {
      if (s === 'reconnecting' && detectedAt === 0) detectedAt = Date.now();
    });
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor(() => detectedAt, 'the dead link to be noticed', 10_000);
    const elapsed = detectedAt - stoppedAt;
    // The bound plus a little for timers firing late on a busy machine.
    expect(elapsed).toBeLessThanOrEqual(intervalMs * (countMax + 1) + 300);
    expect(elapsed).toBeGreaterThanOrEqual(intervalMs * countMax - 50);
    await untilState(node, 'ready');
    expect((await node.exec(['echo', 'back'])).stdout.toString()).toBe('back\n');
  });

  it('keeps trying with backoff for the grace period, then fails; a later call connects afresh', async () => {
    const { sshd, node, states } = await setup({
      reconnect: { initialDelayMs: 100, maxDelayMs: 400, jitter: 0, graceMs: 1_500 },
    });
    const details: string[] = [];
    node.onConnectionState((_s, d) => details.push(d ?? ''));
    await sshd.stopServer();
    await untilState(node, 'reconnecting');
    // A command with a timeout does not wait out the whole grace period for the connection.
    const t0 = Date.now();
    await expect(node.exec(['true'], { timeoutMs: 200 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1_000);
    const failedAt = await untilState(node, 'failed', 10_000);
    const attempts = details.filter((d) => d.startsWith('reconnect attempt')).length;
    // 100, 200, 400, 400, ... ms apart: a handful of attempts in 1.5 s, not a tight loop.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(8);
    expect(details.at(-1)).toMatch(/unreachable for \d+ s/);
    expect(states.at(-1)).toBe('failed');
    expect(failedAt).toBeGreaterThan(0);

    await sshd.restart();
    expect((await node.exec(['echo', 'again'])).stdout.toString()).toBe('again\n');
    expect(node.connectionState()).toBe('ready');
  });
});

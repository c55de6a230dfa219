import { cpus, hostname, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { NodeProfile } from '../../contract/nodes.js';
import { openTestStore } from '../../test-support/store.js';
import { ServiceError } from '../errors.js';
import { dispatch } from '../rpc/dispatch.js';
import type { Handlers } from '../rpc/handlers.js';
import { EventBus } from '../util/event-bus.js';
import { nodesHandlers } from './handlers.js';
import { LocalNode } from './local-node.js';
import { logindWarning, parseKeyValues } from './logind.js';
import { parseGpuLines, probeNode } from './node-probe.js';
import { NodePool } from './node-pool.js';
import { NodeStore } from './node-store.js';

describe('NodeStore', () => {
  it('always has This machine, adds, renames and removes SSH nodes, and keeps no secret', () => {
    const { db } = openTestStore();
    const store = new NodeStore(db);
    expect(store.list().map((n) => [n.id, n.kind, n.name])).toEqual([['local', 'local', 'This machine']]);
    const gpu = store.add({
      name: 'gpu box',
      host: 'gpu1.lab',
      port: 2222,
      user: 'me',
      identityFile: '~/.ssh/id_ed25519',
    });
    expect(gpu).toMatchObject({ kind: 'ssh', host: 'gpu1.lab', port: 2222, user: 'me', proxyJump: null });
    expect(() => store.add({ name: 'GPU BOX', host: 'x' })).toThrow(/exists already/);
    expect(store.update(gpu.id, { name: 'gpu1', proxyJump: 'me@bastion' })).toMatchObject({
      name: 'gpu1',
      host: 'gpu1.lab',
      proxyJump: 'me@bastion',
    });
    expect(() => store.remove('local')).toThrow(/cannot be removed/);
    expect(() => store.update('local', { name: 'laptop' })).toThrow(ServiceError);
    expect(store.update('local', { python: '/opt/venv/bin/python' }).python).toBe('/opt/venv/bin/python');
    store.remove(gpu.id);
    expect(() => store.get(gpu.id)).toThrow(/There is no node/);
    const columns = (db.prepare('PRAGMA table_info(nodes)').all() as { name: string }[]).map((c) => c.name);
    expect(columns.filter((c) => /pass|secret|key$|token/i.test(c))).toEqual([]);
  });

  it('refuses to remove a node that runs refer to', () => {
    const { db } = openTestStore();
    const store = new NodeStore(db);
    const gpu = store.add({ name: 'gpu', host: 'gpu' });
    db.prepare(
      "INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES ('r-20261129-000001', 'x', ?, 'failed', '/x', 0)",
    ).run(gpu.id);
    expect(() => store.remove(gpu.id)).toThrow(/has 1 run/);
  });
});

describe('NodePool', () => {
  it('opens SSH nodes through the injected connector, retrying after a failure', async () => {
    const { db } = openTestStore();
    const store = new NodeStore(db);
    const gpu = store.add({ name: 'gpu', host: 'gpu' });
    const asked: NodeProfile[] = [];
    let fail = true;
    const pool = new NodePool(store, async (profile) => {
      asked.push(profile);
      if (fail) throw new ServiceError('ssh_unreachable', 'no route');
      return new LocalNode(profile.id);
    });
    expect((await pool.get('local')).kind).toBe('local');
    await expect(pool.get(gpu.id)).rejects.toThrow('no route');
    fail = false;
    const handle = await pool.get(gpu.id);
    expect(handle.id).toBe(gpu.id);
    expect(await pool.get(gpu.id)).toBe(handle);
    expect(asked.map((p) => p.host)).toEqual(['gpu', 'gpu']);
    await expect(new NodePool(store).get(gpu.id)).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('nodes:test', () => {
  it('reports This machine as the operating system sees it', async () => {
    const { db } = openTestStore();
    const store = new NodeStore(db);
    const report = await probeNode(new LocalNode(), store.get('local'));
    expect(report.hostname).toBe(hostname());
    expect(report.cpuCount).toBe(cpus().length);
    expect(Math.abs(report.memoryBytes! - totalmem()) / totalmem()).toBeLessThan(0.01);
    expect(report.os).not.toBe('');
    expect(report.tools.gxx === null || report.tools.gxx.includes('g++')).toBe(true);
  });

  it('goes through the dispatcher, which validates node fields', async () => {
    const { db } = openTestStore();
    const store = new NodeStore(db);
    const events = new EventBus();
    const seen: number[] = [];
    events.on('nodes:changed', ({ nodes }) => seen.push(nodes.length));
    const handlers = nodesHandlers(store, new NodePool(store), events, null) as Handlers;
    const bad = await dispatch(handlers, 'nodes:add', { name: 'x', host: 'gpu1; rm -rf ~' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const ok = await dispatch(handlers, 'nodes:add', { name: 'x', host: 'gpu1', port: 22 });
    expect(ok).toMatchObject({ ok: true, value: { name: 'x', host: 'gpu1', port: 22 } });
    expect(seen).toEqual([2]);
  });

  it('parses nvidia-smi inventory lines', () => {
    expect(parseGpuLines(['NVIDIA H200, 143771 MiB, 570.86.15', 'Tesla T4, 15360 MiB, 535.1'])).toEqual([
      { name: 'NVIDIA H200', memoryMiB: 143771, driver: '570.86.15' },
      { name: 'Tesla T4', memoryMiB: 15360, driver: '535.1' },
    ]);
  });
});

describe('logind', () => {
  it('warns when logind kills user processes at logout and lingering is off, with the fix', () => {
    const facts = (kill: string, linger: string) =>
      parseKeyValues(`logind_user=ana\nlogind_kill_user_processes=${kill}\nlogind_linger=${linger}\n`);
    expect(logindWarning(facts('yes', 'no'), 'gpu1')).toMatch(/KillUserProcesses=yes.*loginctl enable-linger ana/);
    expect(logindWarning(facts('yes', 'unknown'), 'gpu1')).not.toBeNull();
    expect(logindWarning(facts('yes', 'yes'), 'gpu1')).toBeNull();
    expect(logindWarning(facts('no', 'no'), 'gpu1')).toBeNull();
    expect(logindWarning(facts('no-systemd', 'unknown'), 'gpu1')).toBeNull();
  });
});

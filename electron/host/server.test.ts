import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createWorkbench, type Workbench } from '../services/workbench.js';
import { tempDir } from '../test-support/paths.js';
import { startHost, type RunningHost } from './server.js';

let workbench: Workbench;
let host: RunningHost;
let staticDir: string;

beforeEach(async () => {
  const dir = tempDir();
  staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>shell</title>');
  writeFileSync(join(dir, 'secret.txt'), 'outside the static root');
  workbench = createWorkbench({
    dataDir: join(dir, 'data'),
    trainerPath: join(dir, 'no-such-moetrain'),
    transport: 'browser',
    version: '1.2.3',
  });
  host = await startHost({ workbench, staticDir, port: 0 });
});

afterEach(async () => {
  await host.close();
  await workbench.close();
});

function rpc(channel: string, init: { token?: string; headers?: Record<string, string>; body?: string } = {}) {
  return fetch(`${host.origin}/api/rpc/${channel}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body ?? '{}',
  });
}

describe('browser-mode host', () => {
  it('listens on 127.0.0.1 only and prints the token in the URL fragment', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers a request that carries the token', async () => {
    const res = await rpc('app:info', { token: host.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; value: { workbenchVersion: string; trainer: { state: string } } };
    expect(body.ok).toBe(true);
    expect(body.value.workbenchVersion).toBe('1.2.3');
    expect(body.value.trainer.state).toBe('missing');
  });

  it('refuses requests without the token, with a wrong token, or from another origin', async () => {
    expect((await rpc('app:info')).status).toBe(401);
    // A token that differs in its last character (whatever that character is).
    const wrong = host.token.slice(0, -1) + (host.token.endsWith('x') ? 'y' : 'x');
    expect((await rpc('app:info', { token: wrong })).status).toBe(401);
    const cross = await rpc('app:info', { token: host.token, headers: { Origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
  });

  it('answers a request body over 4 MiB with 413, not a reset connection', async () => {
    const big = JSON.stringify({ notes: 'x'.repeat(4 * 1024 * 1024 + 10) });
    const res = await rpc('app:info', { token: host.token, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/Request too large: the limit is 4 MiB/);
    // The same connection pool keeps working.
    expect((await rpc('app:info', { token: host.token })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${host.origin}/`, { headers: { Host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('serves the UI with a strict CSP and never a file outside its root', async () => {
    const page = await fetch(`${host.origin}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/static/../../secret.txt']) {
      const res = await fetch(`${host.origin}${path}`);
      expect(await res.text()).not.toContain('outside the static root');
    }
  });

  it('pushes subscribed events over the WebSocket only with the token', async () => {
    const refused = new WebSocket(`${host.origin.replace('http', 'ws')}/api/events?token=nope`, {
      origin: host.origin,
    });
    await expect(
      new Promise((resolve, reject) => {
        refused.on('open', () => resolve('open'));
        refused.on('error', reject);
      }),
    ).rejects.toThrow(/401/);

    const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/api/events?token=${host.token}`, {
      origin: host.origin,
    });
    await new Promise((resolve) => ws.on('open', resolve));
    const received = new Promise<unknown>((resolve) => ws.on('message', (data) => resolve(JSON.parse(String(data)))));
    ws.send(JSON.stringify({ subscribe: 'app:notice' }));
    // The subscription is processed asynchronously; emit until the first delivery.
    const timer = setInterval(() => workbench.events.emit('app:notice', { level: 'info', message: 'hello' }), 20);
    try {
      await expect(received).resolves.toEqual({ event: 'app:notice', payload: { level: 'info', message: 'hello' } });
    } finally {
      clearInterval(timer);
      ws.close();
    }
  });
});

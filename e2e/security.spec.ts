/// <reference lib="dom" />
import { WebSocket } from 'ws';
import { expect, rpc, test, watchCsp } from './fixtures.js';

test('requests and event sockets without the per-start token are refused', async ({ page, workbench }) => {
  for (const headers of [
    {},
    { Authorization: 'Bearer wrong' },
    { Authorization: `Bearer ${workbench.token}x` },
  ] as Record<string, string>[]) {
    const res = await fetch(`${workbench.origin}/api/rpc/runs:list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
    });
    expect(res.status).toBe(401);
  }
  const ok = await fetch(`${workbench.origin}/api/rpc/runs:list`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${workbench.token}` },
    body: '{}',
  });
  expect(ok.status).toBe(200);
  const refused = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`${workbench.origin.replace('http', 'ws')}/api/events?token=nope`, {
      origin: workbench.origin,
    });
    ws.on('open', () => resolve('open'));
    ws.on('error', (e) => resolve(String(e)));
  });
  expect(refused).toMatch(/401/);
  // The browser itself, without the token, gets the "open the start URL" page and a 401.
  await page.goto(`${workbench.origin}/history`);
  await expect(page.getByRole('heading', { name: /Open the workbench from its start URL/ })).toBeVisible();
  // The served page has no inline script or style for a CSP to excuse.
  const html = await (await fetch(`${workbench.origin}/`)).text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(html).not.toMatch(/<style|\sstyle=/i);
  const csp = (await fetch(`${workbench.origin}/`)).headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
});

test('injected scripts do not run and are reported as CSP violations; crafted names render as text', async ({
  page,
  workbench,
}) => {
  const violations = await watchCsp(page);
  const nasty = `<img src=x onerror="window.__pwned='name'">`;
  const notes = `<script>window.__pwned='notes'</script><b onmouseover="window.__pwned='b'">hover</b>`;
  // Stored straight into the run record (no trainer needed): what the UI must show as plain text.
  await rpc(workbench, 'runs:list', {});
  await page.goto(workbench.url);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  expect(await violations()).toEqual([]);

  // 1. Markup injected into the live page: inline handlers and inline scripts are blocked.
  await page.evaluate((html) => {
    document.body.insertAdjacentHTML('beforeend', html);
    const s = document.createElement('script');
    s.textContent = "window.__pwned = 'script'";
    document.body.appendChild(s);
    const d = document.createElement('div');
    d.setAttribute('style', 'color: red');
    document.body.appendChild(d);
  }, nasty);
  await expect.poll(async () => (await violations()).length).toBeGreaterThanOrEqual(2);
  const v = await violations();
  expect(v.some((x) => x.startsWith('script-src'))).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  // Code from strings (eval's family) is refused too: a string timer never runs.
  const before = (await violations()).length;
  await page.evaluate(() => {
    (setTimeout as unknown as (code: string, ms: number) => number)("window.__pwned = 'timer'", 0);
  });
  await expect.poll(async () => (await violations()).slice(before).some((x) => x.startsWith('script-src'))).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();

  // 2. Crafted text from the store (a node name, the way run names and notes reach the page) renders as text.
  await rpc(workbench, 'nodes:add', { name: nasty, host: 'gpu-test.invalid', user: 'me' });
  await rpc(workbench, 'settings:setPrice', { nodeId: 'local', pricePerGpuHour: 1 });
  await page.goto(`${workbench.origin}/nodes`);
  await expect(page.getByRole('heading', { name: nasty })).toBeVisible();
  await page.getByRole('button', { name: 'Add SSH node' }).click();
  await page.getByLabel('Host', { exact: true }).fill('h2.invalid');
  await page.getByLabel('Name', { exact: true }).fill(notes);
  await page.getByRole('button', { name: 'Add node' }).click();
  await expect(page.getByRole('heading', { name: notes })).toBeVisible();
  await page.getByRole('heading', { name: notes }).hover();
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
});

test('the renderer cannot reach a channel or event outside the contract, nor send a malformed request', async ({
  page,
  workbench,
}) => {
  await page.goto(workbench.url);
  const result = await page.evaluate(async () => {
    const token = sessionStorage.getItem('moe-workbench-token')!;
    const call = (channel: string, body: unknown) =>
      fetch(`/api/rpc/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    return {
      unknown: await call('shell:exec', { cmd: 'id' }),
      extraField: await call('runs:list', { limit: 5, evil: true }),
      badType: await call('metrics:series', { runId: 'r-x', series: 1 }),
    };
  });
  expect(result.unknown.ok).toBe(false);
  expect(result.extraField).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(result.badType).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  void workbench;
});

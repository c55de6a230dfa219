/// <reference lib="dom" />
import { test as base, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The trainer binary the test command built ($MOE_WORKBENCH_TRAINER overrides it, as for the workbench). */
export const trainerBinary = process.env.MOE_WORKBENCH_TRAINER ?? join(repoRoot, 'native', 'build', 'moetrain');

/** A browser-mode workbench started for one test, with its own data directory. */
export interface WorkbenchProcess {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  output: () => string;
}

/** Starts `start.js --browser` exactly as `npm start` would after building, and waits for its URL. */
export async function startWorkbench(dataDir: string): Promise<{ wb: WorkbenchProcess; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'build/node/electron/startup/start.js'), '--browser', '--port', '0', '--data-dir', dataDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      output += String(b);
      const m = /^WORKBENCH_URL=(\S+)$/m.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`workbench exited with ${code} before it was ready:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    wb: {
      url,
      origin: parsed.origin,
      token: parsed.hash.replace('#token=', ''),
      dataDir,
      output: () => output,
    },
  };
}

/** Calls a channel of a running workbench the way the UI does (HTTP with the token). */
export async function rpc<T = unknown>(wb: WorkbenchProcess, channel: string, request: unknown = {}): Promise<T> {
  const res = await fetch(`${wb.origin}/api/rpc/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${wb.token}` },
    body: JSON.stringify(request),
  });
  const body = (await res.json()) as { ok: true; value: T } | { ok: false; error: { message: string } };
  if (!body.ok) throw new Error(`${channel}: ${body.error.message}`);
  return body.value;
}

export const test = base.extend<{ workbench: WorkbenchProcess }>({
  // eslint-disable-next-line no-empty-pattern
  workbench: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'moewb-e2e-'));
    const { wb, child } = await startWorkbench(dataDir);
    try {
      await use(wb);
    } finally {
      // Runs are detached from the workbench on purpose; a test must not leave its trainers behind.
      const runs = await rpc<{ id: string; state: string }[]>(wb, 'runs:list', {}).catch(() => []);
      for (const r of runs) {
        if (['launching', 'running', 'unresponsive', 'stopping'].includes(r.state))
          await rpc(wb, 'runs:kill', { runId: r.id }).catch(() => undefined);
      }
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
});

export { expect } from '@playwright/test';

/**
 * Where the end-to-end run saves its pictures of the main screens: test-results/screenshots, never a
 * tracked file, unless $WORKBENCH_SCREENSHOT_DIR (relative to the repository root) names another folder;
 * `npm run screenshots` sets it to docs/screenshots to refresh the pictures the docs show.
 */
export const screenshotDir = resolve(repoRoot, process.env.WORKBENCH_SCREENSHOT_DIR || 'test-results/screenshots');

/** Saves a screenshot of the page as <screenshotDir>/<name>.png (the product, as people see it). */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<void> {
  // No hover tooltip from wherever the last click was; then let layout settle for two frames.
  await page.mouse.move(1, 1);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
}

/** Records Content-Security-Policy violations in the page from its first script on. */
export async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The trainer binary the test command built. */
export const trainerBinary = join(repoRoot, 'native', 'build', 'moetrain');

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
    [join(repoRoot, 'build/node/electron/launcher/start.js'), '--browser', '--port', '0', '--data-dir', dataDir],
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

export const test = base.extend<{ workbench: WorkbenchProcess }>({
  // eslint-disable-next-line no-empty-pattern
  workbench: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'moewb-e2e-'));
    const { wb, child } = await startWorkbench(dataDir);
    try {
      await use(wb);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
});

export { expect } from '@playwright/test';

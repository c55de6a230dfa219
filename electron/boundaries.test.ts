import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './test-support/paths.js';

// The layering rules live in eslint.config.js; these cases prove the rules bite where they must.
async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';", 'Node built-ins'],
    ["import fs from 'fs';", 'Node built-ins'],
    ["import { ipcRenderer } from 'electron';", 'api object'],
    ["import { Client } from 'ssh2';", 'SSH'],
    ["import Database from 'better-sqlite3';", 'database'],
    ["import { createWorkbench } from '../../electron/services/workbench.js';", 'services'],
  ])('the renderer may not %s', async (statement, reason) => {
    const messages = await lint('renderer/src/probe.ts', `${statement}\nexport {};\n`);
    expect(messages.join('\n')).toContain(reason);
  });

  it('the renderer may import the contract', async () => {
    expect(
      await lint(
        'renderer/src/probe.ts',
        "import { channels } from '../../electron/contract/channels.js';\nexport const c = channels;\n",
      ),
    ).toEqual([]);
  });

  it('services may not import electron, and the contract may not import Node', async () => {
    expect(
      (await lint('electron/services/probe.ts', "import { app } from 'electron';\nexport const a = app;\n")).length,
    ).toBe(1);
    expect(
      (await lint('electron/contract/probe.ts', "import { join } from 'node:path';\nexport const j = join;\n")).length,
    ).toBe(1);
  });

  // The browser host and the start-up are leaves; what the entry points share lives in electron/app.
  const probe = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;
  it.each([
    ['electron/main/probe.ts', '../host/server.js', 'browser host'],
    ['electron/main/probe.ts', '../host/main.js', 'browser host'],
    ['electron/main/probe.ts', '../startup/start.js', 'start-up'],
    ['electron/cli/probe.ts', '../host/security.js', 'browser host'],
    ['electron/cli/probe.ts', '../startup/start.js', 'start-up'],
    ['electron/host/probe.ts', '../startup/start.js', 'start-up'],
    ['electron/host/probe.ts', '../main/protocol.js', 'desktop app'],
    ['electron/startup/probe.ts', '../host/server.js', 'browser host'],
    ['electron/services/probe.ts', '../../app/paths.js', 'passed in'],
    ['electron/app/probe.ts', '../host/main.js', 'depends on none'],
    ['electron/app/probe.ts', '../services/workbench.js', 'depends on none'],
  ])('%s may not import %s', async (file, from, reason) => {
    const messages = await lint(file, probe(from));
    expect(messages.join('\n')).toContain(reason);
  });

  it.each([
    ['electron/main/probe.ts', '../app/paths.js'],
    ['electron/main/probe.ts', '../app/web-security.js'],
    ['electron/host/probe.ts', '../app/static-files.js'],
    ['electron/cli/probe.ts', '../app/paths.js'],
    ['electron/startup/probe.ts', '../app/paths.js'],
    ['electron/startup/probe.ts', '../host/main.js'],
  ])('%s may import %s', async (file, from) => {
    expect(await lint(file, probe(from))).toEqual([]);
  });
});

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
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test-support/paths.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('SSH invariants', () => {
  it('the lockfile pins ssh2 at 1.15 or newer (strict key exchange against Terrapin)', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const [major = 0, minor = 0] = (lock.packages['node_modules/ssh2']?.version ?? '0.0.0').split('.').map(Number);
    expect(major > 1 || (major === 1 && minor >= 15)).toBe(true);
  });

  it('no code enables agent forwarding or turns host key checking off', () => {
    const offenders = sourceFiles(join(repoRoot, 'electron')).filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /agentForward\s*:\s*true/.test(text) || /hostVerifier\s*:\s*\(\s*\)\s*=>\s*true/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});

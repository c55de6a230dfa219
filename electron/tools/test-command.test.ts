import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../test-support/paths.js';

// `npm test` must never pass by not running: a missing test dependency stops it with the command that installs
// it, and its last line is always the totals.

/** Runs `npm test`'s script; `lines` is its standard output, where the totals line is written. */
function runTestCommand(env: Record<string, string>): { status: number | null; text: string; lines: string[] } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'electron', 'tools', 'workbench.mjs'), 'test'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, text: `${r.stdout}\n${r.stderr}`, lines: r.stdout.trim().split('\n') };
}

describe('npm test without a test dependency', () => {
  it('stops before any step, names the missing browser and its install command, and ends with the totals', () => {
    const r = runTestCommand({ CHROMIUM_PATH: '/nonexistent/chromium' });
    const { text } = r;
    expect(r.status).toBe(1);
    expect(text).toContain('Chromium at /nonexistent/chromium');
    expect(text).toMatch(/apt-get install -y chromium\b/);
    expect(text).not.toContain('installing npm packages');
    expect(r.lines.at(-1)).toBe('0 passed, 1 failed');
  });

  it('names every missing tool in one install command', () => {
    // A PATH without clang-format, cmake or g++ (node itself is run by absolute path).
    const bin = tempDir('moewb-path-');
    const r = runTestCommand({ PATH: bin, CHROMIUM_PATH: '/nonexistent/chromium' });
    const { text } = r;
    expect(r.status).toBe(1);
    expect(text).toMatch(/apt-get install -y chromium .*clang-format cmake g\+\+ python3-venv/);
    expect(r.lines.at(-1)).toBe('0 passed, 1 failed');
  });
});

describe('the managed Python environment check', () => {
  const script = join(repoRoot, 'native', 'scripts', 'python_env.sh');

  it('fails for an empty venv, naming what is missing and the command that installs it', () => {
    const venv = tempDir('moewb-venv-');
    const r = spawnSync('bash', [script, 'check', '--for', 'eval', '--venv', venv], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not ready for eval`);
    expect(r.stderr).toContain('python_env.sh ensure --for eval');
  });

  it('fails for a venv whose package is at another version than the pin, and names both versions', () => {
    // A fake venv: a python that reports transformers at a version other than the pin.
    const venv = tempDir('moewb-venv-');
    mkdirSync(join(venv, 'bin'));
    const site = join(venv, 'site');
    mkdirSync(join(site, 'transformers-0.0.1.dist-info'), { recursive: true });
    writeFileSync(join(site, 'transformers-0.0.1.dist-info', 'METADATA'), 'Name: transformers\nVersion: 0.0.1\n');
    writeFileSync(join(venv, 'bin', 'python'), `#!/bin/sh\nPYTHONPATH=${site} exec python3 -S "$@"\n`, {
      mode: 0o755,
    });
    const r = spawnSync('bash', [script, 'check', '--for', 'test', '--venv', venv], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/transformers 0\.0\.1 is installed, [0-9.]+ is pinned/);
  });

  it('prints the path that MOETRAIN_VENV names, else the one under XDG_CACHE_HOME', () => {
    const path = (env: Record<string, string>) =>
      spawnSync('bash', [script, 'path'], { encoding: 'utf8', env: { ...process.env, ...env } }).stdout.trim();
    expect(path({ MOETRAIN_VENV: '/opt/v' })).toBe('/opt/v');
    expect(path({ MOETRAIN_VENV: '', XDG_CACHE_HOME: '/x/cache' })).toMatch(
      /^\/x\/cache\/moe-workbench\/venv-torch-[0-9]+\.[0-9]+\.[0-9]+$/,
    );
  });
});

#!/usr/bin/env node
// The two commands of the quick start. `start` and `test` both bring a fresh clone up to date first:
// npm packages, the trainer (native/scripts/build.sh), and the workbench build, each only when stale.
// Plain Node with no dependencies, because it runs before `npm ci` has.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const command = argv.shift();
const verbose = argv.includes('--verbose') || !!process.env.WORKBENCH_VERBOSE;
const args = argv.filter((a) => a !== '--verbose');

/** Runs a command; `quiet` buffers its output and returns it instead of streaming it. */
function run(cmd, cmdArgs, { quiet = false, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    if (quiet) {
      child.stdout.on('data', (b) => (output += b));
      child.stderr.on('data', (b) => (output += b));
    }
    child.on('error', (err) => resolve({ code: 127, output: output + String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** Newest modification time of any file below the given paths (0 when none exist). */
function newest(paths) {
  let best = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') visit(join(p, name));
    } else best = Math.max(best, st.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return best;
}

function mtime(p) {
  const full = join(root, p);
  return existsSync(full) ? statSync(full).mtimeMs : 0;
}

function commandExists(name) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

async function step(name, cmd, cmdArgs, options = {}) {
  const started = Date.now();
  if (!verbose) process.stdout.write(`▸ ${name} … `);
  else console.log(`▸ ${name}`);
  const { code, output } = await run(cmd, cmdArgs, { quiet: !verbose, ...options });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (code === 0) {
    console.log(verbose ? `✓ ${name} (${secs}s)` : `ok (${secs}s)`);
    return true;
  }
  if (!verbose) console.log(`FAILED (${secs}s)\n${output.trimEnd()}\n`);
  console.log(`✗ ${name} failed (exit ${code})`);
  return false;
}

async function ensureDependencies() {
  const installed = mtime('node_modules/.package-lock.json');
  if (installed && installed >= mtime('package-lock.json') && installed >= mtime('package.json')) return;
  console.log('▸ installing npm packages (npm ci; the first time builds better-sqlite3 and takes a few minutes)');
  const { code } = await run('npm', ['ci', '--no-audit', '--no-fund']);
  if (code !== 0) fail('npm ci failed; see the output above.');
}

async function ensureTrainer({ tests }) {
  for (const tool of ['cmake', 'g++', 'python3']) {
    if (!commandExists(tool))
      fail(
        `${tool} is not installed; the trainer needs it. On Debian/Ubuntu: apt-get install -y cmake g++ python3-venv`,
      );
  }
  console.log(
    '▸ building the trainer (native/scripts/build.sh; the first time installs PyTorch and compiles for several minutes)',
  );
  const { code } = await run('bash', ['native/scripts/build.sh', ...(tests ? [] : ['--no-tests'])]);
  if (code !== 0) fail('The trainer did not build; the lines starting with [build] error above say why.');
}

async function ensureWorkbenchBuilt() {
  const ok =
    (await step('compiling the workbench (tsc -b)', 'npx', ['tsc', '-b'])) &&
    (newest(['renderer', 'electron/contract', 'vite.config.ts']) <= mtime('build/renderer/index.html') ||
      (await step('bundling the UI (vite)', 'npx', ['vite', 'build']))) &&
    (newest(['electron/preload', 'electron/contract', 'vite.preload.config.ts']) <=
      mtime('build/preload/preload.cjs') ||
      (await step('bundling the preload (vite)', 'npx', ['vite', 'build', '--config', 'vite.preload.config.ts'])));
  if (!ok) fail('The workbench did not build.');
}

async function start() {
  await ensureDependencies();
  await ensureTrainer({ tests: false });
  await ensureWorkbenchBuilt();
  const child = spawn(process.execPath, [join(root, 'build/node/electron/startup/start.js'), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('close', (code) => process.exit(code ?? 0));
}

async function test() {
  await ensureDependencies();
  await ensureTrainer({ tests: true });
  await ensureWorkbenchBuilt();
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium))
    fail(
      `Chromium is not at ${chromium}; the end-to-end tests drive it. On Debian: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  if (!existsSync('/usr/sbin/sshd'))
    fail(
      'OpenSSH server is not installed; the SSH tests run a real sshd on 127.0.0.1. On Debian: apt-get install -y openssh-server',
    );
  const steps = [
    ['lint (eslint)', 'npx', ['eslint', '.']],
    ['type-check the tests', 'npx', ['tsc', '-p', 'tsconfig.test.json']],
    ['unit and service tests (vitest)', 'npx', ['vitest', 'run']],
    ['trainer tests (ctest)', 'ctest', ['--test-dir', 'native/build', '--output-on-failure']],
    ['end-to-end tests (playwright, chromium)', 'npx', ['playwright', 'test']],
  ];
  const failed = [];
  for (const [name, cmd, cmdArgs] of steps) {
    if (!(await step(name, cmd, cmdArgs))) failed.push(name);
  }
  if (failed.length) fail(`${failed.length} step(s) failed: ${failed.join(', ')}`);
  console.log('\nAll tests passed.');
}

const commands = { start, test };
if (!commands[command]) {
  console.error('usage: node electron/tools/workbench.mjs start|test [options]');
  process.exit(2);
}
commands[command]().catch((err) => fail(String(err?.stack ?? err)));

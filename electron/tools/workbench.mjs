#!/usr/bin/env node
// The two commands of the quick start. `start` and `test` both bring a fresh clone up to date first:
// npm packages, the trainer (native/scripts/build.sh), and the workbench build, each only when stale.
// Plain Node with no dependencies, because it runs before `npm ci` has.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
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
  // `npm test` always closes with its totals line, even when it stops before any test ran.
  if (command === 'test') console.log('0 passed, 1 failed');
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

/** What `npm test` needs from the machine, each with the Debian package that provides it. */
function missingPrerequisites() {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const checks = [
    [existsSync(chromium), `Chromium at ${chromium} (the end-to-end tests drive it; or set CHROMIUM_PATH)`, 'chromium'],
    [
      existsSync('/usr/sbin/sshd'),
      'the OpenSSH server /usr/sbin/sshd (the SSH tests run a real one)',
      'openssh-server',
    ],
    [existsSync('/usr/include/gtest/gtest.h'), "GoogleTest's headers (the trainer's unit tests)", 'libgtest-dev'],
    [existsSync('/usr/include/gloo/config.h'), "Gloo's headers (the trainer's CPU process groups)", 'libgloo-dev'],
    [commandExists('clang-format'), 'clang-format (npm run lint checks the C++ format)', 'clang-format'],
    [commandExists('cmake'), 'CMake (builds the trainer)', 'cmake'],
    [commandExists('g++'), 'a C++ compiler (builds the trainer)', 'g++'],
    [commandExists('python3'), 'Python 3 with venv (the managed Python environment)', 'python3-venv'],
  ];
  return checks.filter(([ok]) => !ok).map(([, what, pkg]) => ({ what, pkg }));
}

/** Reads a JSON report a test runner wrote, or null. */
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Counts from vitest's JSON report. */
function vitestCounts(path) {
  const r = readJson(path);
  if (!r) return null;
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) };
}

/** Counts from Playwright's JSON report (flaky tests passed on retry; retries are off, so they count as failed). */
function playwrightCounts(path) {
  const r = readJson(path);
  if (!r?.stats) return null;
  return { passed: r.stats.expected, failed: r.stats.unexpected + r.stats.flaky, skipped: r.stats.skipped };
}

/** Counts from ctest's JUnit report: every test case by its status (run, fail, notrun, disabled). */
function ctestCounts(path) {
  let xml;
  try {
    xml = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const m of xml.matchAll(/<testcase\b[^>]*\bstatus="([a-z]+)"/g)) {
    if (m[1] === 'run') counts.passed++;
    else if (m[1] === 'fail') counts.failed++;
    else counts.skipped++;
  }
  return counts.passed + counts.failed + counts.skipped > 0 ? counts : null;
}

async function test() {
  const totals = { passed: 0, failed: 0 };
  const finish = (failedSteps) => {
    if (failedSteps.length) console.log(`\n✗ ${failedSteps.length} step(s) failed: ${failedSteps.join(', ')}`);
    else console.log('\nAll tests passed.');
    // The closing line is the totals, alone: every test that ran, and any step that failed without counting.
    console.log(`${totals.passed} passed, ${totals.failed} failed`);
    process.exit(failedSteps.length ? 1 : 0);
  };
  const missing = missingPrerequisites();
  if (missing.length) {
    console.error(`\n✗ npm test needs what this machine lacks:\n${missing.map((m) => `  - ${m.what}`).join('\n')}`);
    console.error(`  Install it (Debian/Ubuntu): apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
    totals.failed++;
    finish(['prerequisites']);
  }
  await ensureDependencies();
  console.log(
    '▸ preparing the managed Python environment (native/scripts/python_env.sh ensure: torch, transformers, lm-eval, tokenizers)',
  );
  const env = await run('bash', ['native/scripts/python_env.sh', 'ensure', '--for', 'all']);
  if (env.code !== 0) {
    totals.failed++;
    finish(['the managed Python environment (see the [build] error line above)']);
  }
  const venv = (await run('bash', ['native/scripts/python_env.sh', 'path'], { quiet: true })).output.trim();
  await ensureTrainer({ tests: true });
  await ensureWorkbenchBuilt();

  const results = join(root, 'test-results');
  mkdirSync(results, { recursive: true });
  const reports = {
    vitest: join(results, 'vitest.json'),
    ctest: join(results, 'ctest.xml'),
    playwright: join(results, 'playwright.json'),
  };
  for (const path of Object.values(reports)) rmSync(path, { force: true });
  // Every step sees the same managed venv (native/scripts/python_env.sh path resolves it once).
  const stepEnv = { MOETRAIN_VENV: venv, PLAYWRIGHT_JSON_OUTPUT_FILE: reports.playwright };
  const steps = [
    ['lint (eslint, prettier, clang-format)', 'npm', ['run', '--silent', 'lint']],
    ['type-check the tests', 'npx', ['tsc', '-p', 'tsconfig.test.json']],
    [
      'unit and service tests (vitest)',
      'npx',
      ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reports.vitest}`],
      () => vitestCounts(reports.vitest),
    ],
    [
      'trainer tests (ctest)',
      'ctest',
      ['--test-dir', 'native/build', '--output-on-failure', '--output-junit', reports.ctest],
      () => ctestCounts(reports.ctest),
    ],
    [
      'end-to-end tests (playwright, chromium)',
      'npx',
      ['playwright', 'test', '--reporter=list,json'],
      () => playwrightCounts(reports.playwright),
    ],
  ];
  const failed = [];
  for (const [name, cmd, cmdArgs, count] of steps) {
    const ok = await step(name, cmd, cmdArgs, { env: stepEnv });
    if (!count) {
      if (!ok) {
        failed.push(name);
        totals.failed++;
      }
      continue;
    }
    const c = count();
    if (!c) {
      console.log(`  ${name}: no test report was written; counted as one failure`);
      failed.push(name);
      totals.failed++;
      continue;
    }
    // A skipped test is a failure: nothing in this suite may pass by not running.
    console.log(`  ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    totals.passed += c.passed;
    totals.failed += c.failed + c.skipped;
    if (!ok || c.failed || c.skipped) failed.push(c.skipped ? `${name} (${c.skipped} skipped)` : name);
  }
  finish(failed);
}

const commands = { start, test };
if (!commands[command]) {
  console.error('usage: node electron/tools/workbench.mjs start|test [options]');
  process.exit(2);
}
commands[command]().catch((err) => fail(String(err?.stack ?? err)));

#!/usr/bin/env node
// Checks (default) or applies (--fix) the trainer's C++ format with Debian's clang-format and the repository's
// .clang-format. Part of `npm run lint`; `npm run format` applies it. Plain Node, no dependencies.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fix = process.argv.includes('--fix');
const tool = process.env.CLANG_FORMAT ?? 'clang-format';

const version = spawnSync(tool, ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  console.error(
    `✗ ${tool} is not installed; the C++ format is checked with it. On Debian/Ubuntu: apt-get install -y clang-format`,
  );
  process.exit(1);
}

const listed = spawnSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'native/*.cpp', 'native/*.h'],
  { cwd: root, encoding: 'utf8' },
);
if (listed.status !== 0) {
  console.error(`✗ git ls-files failed: ${listed.stderr.trim()}`);
  process.exit(1);
}
const files = listed.stdout.split('\n').filter(Boolean);
const args = fix ? ['-i', ...files] : ['--dry-run', '-Werror', ...files];
const result = spawnSync(tool, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
if (result.status !== 0) {
  const offenders = [...new Set([...result.stderr.matchAll(/^(native\/[^:]+):\d+:\d+: error/gm)].map((m) => m[1]))];
  process.stderr.write(result.stderr.split('\n').slice(0, 40).join('\n') + '\n');
  console.error(
    `✗ ${offenders.length || 'some'} C++ file(s) are not formatted${offenders.length ? `: ${offenders.join(', ')}` : ''}. ` +
      'Run: npm run format',
  );
  process.exit(1);
}
console.log(`${fix ? 'formatted' : 'checked'} ${files.length} C++ files (${version.stdout.trim()})`);

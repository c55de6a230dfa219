import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from './shell-quote.js';

// Round trip through a real POSIX shell: `sh -c "printf %s <quoted>"` must print the argument byte-exact.
function throughShell(arg: string): string {
  const res = spawnSync('/bin/sh', ['-c', shellCommand(['printf', '%s', arg])], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout;
}

describe('shellQuote', () => {
  it('leaves plain words readable and quotes everything else', () => {
    expect(shellQuote('native/build/moetrain')).toBe('native/build/moetrain');
    expect(shellQuote('--max-steps=400')).toBe('--max-steps=400');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(rm -rf ~)')).toBe(`'$(rm -rf ~)'`);
  });

  it('refuses NUL and empty commands', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => shellCommand([])).toThrow(/empty/);
  });

  it.each(["'", '"', '$HOME', '`id`', '\\', '\n', 'a b', '*', '~', '-n', '!', ';echo pwned', 'ünïcødé ✓', "'\\''"])(
    'round-trips %j through /bin/sh',
    (arg) => {
      expect(throughShell(arg)).toBe(arg);
    },
  );

  it('round-trips random strings with quotes, $, backticks, newlines and Unicode through /bin/sh', () => {
    const tricky = fc.constantFrom(
      "'",
      '"',
      '$',
      '`',
      '\\',
      '\n',
      ' ',
      ';',
      '|',
      '&',
      '*',
      '?',
      '(',
      ')',
      '{',
      '}',
      '!',
      '#',
      '~',
      'é',
      '✓',
      '😀',
    );
    const chunk = fc.oneof(fc.string({ unit: 'grapheme' }), tricky);
    const arg = fc.array(chunk, { maxLength: 12 }).map((parts) => parts.join('').replace(/\0/g, ''));
    fc.assert(
      fc.property(arg, (s) => throughShell(s) === s),
      { numRuns: 300 },
    );
  });
});

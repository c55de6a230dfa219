/**
 * The one POSIX shell-quoting function. Every remote command the workbench sends is built from
 * argument vectors through here; nothing else concatenates user input into a command line.
 *
 * Each argument becomes a single-quoted word; a single quote inside becomes `'\''`. Inside single
 * quotes a POSIX shell interprets nothing ($, backticks, backslashes, newlines all stay literal).
 * NUL cannot be carried by a C string argument at all, so it is refused instead of silently cut.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new Error('A command argument contains a NUL byte, which no shell argument can carry.');
  }
  // Words made only of safe characters need no quotes; keeps logs readable.
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every argument and joins them with spaces: one command line for `sh -c` or an SSH exec. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('An empty command cannot be run.');
  return argv.map(shellQuote).join(' ');
}

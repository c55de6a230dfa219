/** One `[build] <phase>: <message>` line of native/scripts/build.sh, or its error line. */
export type BuildLine =
  { kind: 'progress'; phase: string; message: string } | { kind: 'error'; what: string; fix: string | null };

/** Parses a line of the build script's output protocol; null for any other line. */
export function parseBuildLine(line: string): BuildLine | null {
  const m = /^\[build\] ([a-z][a-z0-9_-]*): (.*)$/.exec(line.trimEnd());
  if (!m) return null;
  if (m[1] === 'error') {
    // "[build] error: <what> — <fix>" (an em dash; tolerate " -- " too).
    const parts = m[2]!.split(/ — | -- /);
    return { kind: 'error', what: parts[0]!.trim(), fix: parts.length > 1 ? parts.slice(1).join(' — ').trim() : null };
  }
  return { kind: 'progress', phase: m[1]!, message: m[2]! };
}

/** Splits a stream of chunks into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}

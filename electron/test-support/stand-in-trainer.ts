import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for `moetrain train`, for the launch wrapper's own tests only (the end-to-end tests use
 * the real trainer). It records its arguments, then either exits with the code in
 * `<run-dir>/stand-in.mode` (`exit:N`, after printing `<run-dir>/stand-in.say` to stderr if present)
 * or heartbeats every 0.2 s until SIGTERM, on which it exits 0.
 */
export function writeStandInTrainer(dir: string): string {
  const path = join(dir, 'stand-in-moetrain');
  writeFileSync(
    path,
    `#!/bin/sh
D=$3
printf '%s\\n' "$*" >"$D/stand-in.args"
mode=$(cat "$D/stand-in.mode" 2>/dev/null)
case "$mode" in exit:*) cat "$D/stand-in.say" >&2 2>/dev/null; exit "\${mode#exit:}" ;; esac
trap 'exit 0' TERM
while :; do
  printf '{"time": %s, "step": 1, "phase": "train"}' "$(date +%s.%N)" >"$D/heartbeat.tmp" && mv -f "$D/heartbeat.tmp" "$D/heartbeat"
  sleep 0.2
done
`,
  );
  chmodSync(path, 0o755);
  return path;
}

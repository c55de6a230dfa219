import { ServiceError } from '../errors.js';
import type { NodeHandle } from '../nodes/node.js';

/** A configuration resolved and validated by the node's own trainer. */
export interface ResolvedConfig {
  /** `moetrain config --json`: flags by name, their sources, derived sizes. */
  json: Record<string, unknown>;
  /** `moetrain config`: the same as a flags file the trainer reads back (`run.flags`). */
  flagsText: string;
}

/** Flags the launch wrapper passes on the command line; a flags file must not pin them. */
const runFlags = ['run-dir', 'run-id', 'resume', 'flags-file'];

/** Drops the per-launch flags (run directory, run id, resume) from a resolved flags file. */
export function withoutRunFlags(text: string): string {
  return text
    .split('\n')
    .filter((line) => !runFlags.some((f) => line.startsWith(`--${f}=`)))
    .join('\n');
}

/** The trainer's config arguments for a preset and overrides. */
export function configArgs(preset: string, overrides: Record<string, string>): string[] {
  return [`--preset=${preset}`, ...Object.entries(overrides).map(([k, v]) => `--${k}=${v}`)];
}

/**
 * Resolves preset + overrides with `moetrain config` on the node. Exit 2 (a bad flag or value) becomes
 * invalid_request carrying the trainer's own message, which names the flag and the fix.
 */
export async function resolveConfig(
  node: NodeHandle,
  binary: string,
  preset: string,
  overrides: Record<string, string>,
): Promise<ResolvedConfig> {
  const args = configArgs(preset, overrides);
  const json = await node.exec([binary, 'config', ...args, '--json'], { timeoutMs: 60_000 });
  const stderr = json.stderr.toString('utf8').trim();
  if (json.code === 2) {
    const message = stderr.replace(/^moetrain config: error: /, '') || 'the trainer refused the configuration';
    throw new ServiceError(
      'invalid_request',
      `Invalid configuration: ${message}`,
      'Fix the flag it names (see `moetrain config --help`).',
    );
  }
  if (json.code !== 0) {
    throw new ServiceError(
      'trainer_failed',
      `\`moetrain config\` failed on the node (exit ${json.code ?? json.signal}): ${stderr.split('\n').slice(-3).join(' ')}`,
      'Deploy the trainer to the node again.',
    );
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json.stdout.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ServiceError(
      'trainer_failed',
      '`moetrain config --json` printed something that is not JSON.',
      'Deploy the trainer again.',
    );
  }
  const text = await node.exec([binary, 'config', ...args], { timeoutMs: 60_000 });
  if (text.code !== 0) {
    throw new ServiceError('trainer_failed', `\`moetrain config\` failed: ${text.stderr.toString('utf8').trim()}`);
  }
  return { json: parsed, flagsText: withoutRunFlags(text.stdout.toString('utf8')) };
}

import { access, constants } from 'node:fs/promises';
import { trainerVersionSchema, type LocalTrainerStatus } from '../../contract/app.js';
import { runCommand } from '../util/process.js';

const buildHint = 'Build it with `bash native/scripts/build.sh` (or run `npm start`, which builds it).';

/**
 * Asks the trainer binary at `path` who it is: `moetrain --version` for the human line and
 * `moetrain version --json` for the facts. Never throws; a missing or failing binary is a status.
 */
export async function probeLocalTrainer(path: string): Promise<LocalTrainerStatus> {
  try {
    await access(path, constants.X_OK);
  } catch {
    return { state: 'missing', path, hint: `No trainer binary at ${path}. ${buildHint}` };
  }
  try {
    const line = await runCommand(path, ['--version'], { timeoutMs: 30_000 });
    if (line.code !== 0) {
      return brokenStatus(path, `\`moetrain --version\` exited with ${line.code ?? line.signal}`, line.stderr);
    }
    const json = await runCommand(path, ['version', '--json'], { timeoutMs: 30_000 });
    if (json.code !== 0) {
      return brokenStatus(path, `\`moetrain version --json\` exited with ${json.code ?? json.signal}`, json.stderr);
    }
    const parsed = trainerVersionSchema.safeParse(JSON.parse(json.stdout));
    if (!parsed.success) {
      return brokenStatus(path, 'The trainer reported its version in an unexpected format', parsed.error.message);
    }
    return { state: 'ready', path, versionLine: line.stdout.trim(), version: parsed.data };
  } catch (err) {
    return brokenStatus(path, 'The trainer binary could not be run', String(err));
  }
}

function brokenStatus(path: string, message: string, detail: string): LocalTrainerStatus {
  const tail = detail.trim().split('\n').slice(-3).join(' ');
  return {
    state: 'broken',
    path,
    message: tail ? `${message}: ${tail}` : message,
    hint: `Rebuild the trainer: ${buildHint}`,
  };
}

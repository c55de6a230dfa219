import { WorkbenchError } from '../contract/errors.js';
import type { CliClient } from './client.js';

/** A node given by its id or (case-insensitively) its name. */
export async function nodeId(c: CliClient, nameOrId: string): Promise<string> {
  const nodes = await c.call('nodes:list', {});
  const found =
    nodes.find((n) => n.id === nameOrId) ?? nodes.find((n) => n.name.toLowerCase() === nameOrId.toLowerCase());
  if (!found)
    throw new WorkbenchError({
      code: 'not_found',
      message: `There is no node "${nameOrId}".`,
      hint: 'See `moewb nodes list`.',
    });
  return found.id;
}

/**
 * A checkpoint given as its id (`12` or `id:12`) or as `RUN@STEP` (`r-20261129-a1b2c3@400`); with a
 * run given elsewhere on the command line, a bare number is a step of that run.
 */
export async function checkpointId(c: CliClient, ref: string, runId?: string): Promise<number> {
  const id = /^(?:id:)?(\d+)$/.exec(ref);
  if (id && (runId === undefined || ref.startsWith('id:'))) return Number(id[1]);
  const m = /^(r-\d{8}-[0-9a-f]{6})[@:](\d+)$/.exec(runId !== undefined && id ? `${runId}@${ref}` : ref);
  if (!m) {
    throw new WorkbenchError({
      code: 'invalid_request',
      message: `"${ref}" is not a checkpoint.`,
      hint: 'Give its id or RUN@STEP, as `moewb checkpoints list RUN` prints them.',
    });
  }
  const all = await c.call('checkpoints:list', { runId: m[1] as string });
  const matches = all.filter((x) => x.step === Number(m[2]));
  const found = matches.find((x) => x.status === 'complete') ?? matches[matches.length - 1];
  if (!found)
    throw new WorkbenchError({
      code: 'not_found',
      message: `Run ${m[1]} has no checkpoint at step ${m[2]}.`,
      hint: `See \`moewb checkpoints list ${m[1]}\`.`,
    });
  return found.id;
}

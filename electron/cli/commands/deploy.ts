import type { Command } from 'commander';
import type { DeployProgress } from '../../contract/deploy.js';
import { deploymentLine } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { nodeId } from '../refs.js';

/**
 * Prints deploy progress as `[phase] message` lines. Progress events also carry byte counts (the
 * upload reports its start and its end with the same message): a line that would repeat the
 * previous one is not printed again.
 */
export function progressPrinter(io: Pick<CliIo, 'out'>): (p: DeployProgress) => void {
  let last = '';
  return (p) => {
    const line = `[${p.phase}] ${p.message}\n`;
    if (line !== last) io.out(line);
    last = line;
  };
}

/** `moewb deploy <node>`: upload and build the trainer on a node. */
export function registerDeployCommand(program: Command, io: CliIo): void {
  const { withClient } = commandKit(program, io);
  program
    .command('deploy <node>')
    .description('upload and build the trainer on a node (skips what the node already has)')
    .option('--force', 'upload and build even when the node has this version')
    .action(
      withClient(async (c, node: string, opts: { force?: boolean }) => {
        const off = c.on('deploy:progress', progressPrinter(io));
        try {
          io.out(
            deploymentLine(await c.call('deploy:start', { nodeId: await nodeId(c, node), force: opts.force ?? false })),
          );
        } finally {
          off();
        }
      }),
    );
}

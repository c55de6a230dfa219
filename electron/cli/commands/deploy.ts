import type { Command } from 'commander';
import { deploymentLine } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { nodeId } from '../refs.js';

/** `moewb deploy <node>`: upload and build the trainer on a node. */
export function registerDeployCommand(program: Command, io: CliIo): void {
  const { withClient } = commandKit(program, io);
  program
    .command('deploy <node>')
    .description('upload and build the trainer on a node (skips what the node already has)')
    .option('--force', 'upload and build even when the node has this version')
    .action(
      withClient(async (c, node: string, opts: { force?: boolean }) => {
        const off = c.on('deploy:progress', (p) => io.out(`[${p.phase}] ${p.message}\n`));
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

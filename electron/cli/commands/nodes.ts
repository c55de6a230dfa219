import type { Command } from 'commander';
import { WorkbenchError } from '../../contract/errors.js';
import { positiveInt } from '../arg-parsers.js';
import { nodeReport, nodesTable } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { nodeId } from '../refs.js';

/** `moewb nodes ...`: list, add, test and trust the machines runs go to. */
export function registerNodeCommands(program: Command, io: CliIo): void {
  const { withClient, json } = commandKit(program, io);
  const nodes = program.command('nodes').description('the machines runs go to');
  nodes
    .command('list')
    .description('list node profiles ("local" is This machine)')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, opts: { json?: boolean }) => {
        const list = await c.call('nodes:list', {});
        if (opts.json) json(list);
        else io.out(nodesTable(list));
      }),
    );
  nodes
    .command('add <name>')
    .description('add an SSH node (no secrets are stored: keys stay in their files or your agent)')
    .requiredOption('--host <host>', 'host name, address or ~/.ssh/config alias')
    .option('--port <port>', 'SSH port', positiveInt)
    .option('--user <user>', 'user name')
    .option('--identity-file <path>', 'private key file')
    .option('--proxy-jump <hops>', 'jump host(s), as in ssh -J')
    .option('--python <path>', 'Python with PyTorch on the node, for the build')
    .action(
      withClient(
        async (
          c,
          name: string,
          o: { host: string; port?: number; user?: string; identityFile?: string; proxyJump?: string; python?: string },
        ) => {
          const node = await c.call('nodes:add', {
            name,
            host: o.host,
            port: o.port ?? null,
            user: o.user ?? null,
            identityFile: o.identityFile ?? null,
            proxyJump: o.proxyJump ?? null,
            python: o.python ?? null,
          });
          io.out(`added node ${node.id} (${node.name})\n`);
        },
      ),
    );
  nodes
    .command('test <node>')
    .description('connect and report OS, CPUs, memory, GPUs, Python/torch and build tools')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, node: string, opts: { json?: boolean }) => {
        const report = await c.call('nodes:test', { id: await nodeId(c, node) });
        if (opts.json) json(report);
        else io.out(nodeReport(report));
      }),
    );

  nodes
    .command('trust <node>')
    .description(
      "accept an SSH node's host key after comparing its fingerprint with the one its administrator gave you",
    )
    .requiredOption('--fingerprint <SHA256:...>', 'the fingerprint you compared (as `nodes test` printed it)')
    .action(
      withClient(async (c, node: string, o: { fingerprint: string }) => {
        const id = await nodeId(c, node);
        const seen = await c.call('nodes:test', { id }).then(
          () => null,
          (err: unknown) => err,
        );
        if (seen === null) {
          io.out('the host key is already trusted\n');
          return;
        }
        const details = seen instanceof WorkbenchError ? seen.details : undefined;
        if (!(seen instanceof WorkbenchError) || seen.code !== 'ssh_host_key_unknown' || details?.kind !== 'host_key')
          throw seen;
        if (details.fingerprint !== o.fingerprint) {
          throw new WorkbenchError({
            code: 'conflict',
            message: `The host presents ${details.fingerprint}, not ${o.fingerprint}.`,
            hint: "Do not trust it: check the address, then ask the host's administrator for its fingerprint.",
          });
        }
        await c.call('nodes:trust-host-key', {
          host: details.host,
          port: details.port,
          key: details.key,
          fingerprint: details.fingerprint,
        });
        io.out(`trusted ${details.keyType} ${details.fingerprint} for ${details.host}:${details.port}\n`);
      }),
    );
}

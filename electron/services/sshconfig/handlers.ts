import { join } from 'node:path';
import type { SshConfigHost } from '../../contract/sshconfig.js';
import { ServiceError } from '../errors.js';
import type { NodeStore } from '../nodes/node-store.js';
import type { Handlers } from '../rpc/handlers.js';
import type { SshServices } from '../ssh/ssh-services.js';
import type { SshTarget } from '../ssh/target.js';

const hop = (t: SshTarget): string => `${t.user}@${t.host}${t.port !== 22 ? `:${t.port}` : ''}`;

/** Handlers of the `sshconfig` domain: the SSH layer's import of ~/.ssh/config (loaded on first use), for the nodes page. */
export function sshconfigHandlers(
  ssh: (() => Promise<SshServices>) | null,
  nodes: NodeStore,
  homeDir: string,
): Pick<Handlers, 'sshconfig:hosts'> {
  return {
    'sshconfig:hosts': async () => {
      if (!ssh)
        throw new ServiceError(
          'unavailable',
          'This workbench was started without its SSH layer.',
          'Start it normally (npm start).',
        );
      const path = join(homeDir, '.ssh', 'config');
      const imported = await (await ssh()).importConfig(path);
      const byHost = new Map(
        nodes
          .list()
          .filter((n) => n.kind === 'ssh' && n.host)
          .map((n) => [n.host!, n.id]),
      );
      const hosts: SshConfigHost[] = imported.hosts.map((h) => ({
        alias: h.alias,
        host: h.target.host,
        port: h.target.port,
        user: h.target.user,
        via: h.target.jump.map(hop).join(','),
        identityFiles: h.target.identityFiles,
        warnings: h.warnings,
        nodeId: byHost.get(h.alias) ?? null,
      }));
      return { path, hosts, warnings: imported.warnings };
    },
  };
}

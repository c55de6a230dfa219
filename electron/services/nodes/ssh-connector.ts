import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { NodeProfile } from '../../contract/nodes.js';
import { ServiceError } from '../errors.js';
import type { SshServices } from '../ssh/ssh-services.js';
import type { SshTarget } from '../ssh/target.js';
import type { NodeConnector } from './node-pool.js';

type Resolve = (name: string) => Promise<{ target: SshTarget; warnings: string[] }>;

function expandHome(path: string, home: string): string {
  if (path === '~' || path.startsWith('~/')) return join(home, path.slice(1));
  return isAbsolute(path) ? path : join(home, path);
}

/**
 * The SSH target of a node profile: its host resolved through ~/.ssh/config as `ssh <host>` would
 * (HostName, User, Port, IdentityFile, ProxyJump of an alias), then the profile's own fields on top.
 * A profile's ProxyJump replaces the config's, each hop resolved through the config too.
 */
export async function profileTarget(profile: NodeProfile, resolve: Resolve, home = homedir()): Promise<SshTarget> {
  if (profile.kind !== 'ssh' || !profile.host) throw new Error(`node ${profile.id} is not an SSH node`);
  const base = (await resolve(profile.host)).target;
  const target: SshTarget = {
    ...base,
    port: profile.port ?? base.port,
    user: profile.user ?? base.user,
    identityFiles: profile.identityFile
      ? [expandHome(profile.identityFile, home), ...base.identityFiles]
      : base.identityFiles,
  };
  if (profile.proxyJump) {
    const { parseJumpSpec } = await import('../ssh/config-import.js');
    const hops: SshTarget[] = [];
    for (const [i, spec] of profile.proxyJump
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .entries()) {
      const parsed = parseJumpSpec(spec);
      if (!parsed) {
        throw new ServiceError(
          'invalid_request',
          `ProxyJump entry "${spec}" of node "${profile.name}" is not [user@]host[:port].`,
          "Fix the node's jump hosts.",
        );
      }
      const hop = (await resolve(parsed.host)).target;
      // As with `ssh -J a,b`: only the first hop keeps its own ProxyJump.
      hops.push({
        ...hop,
        user: parsed.user ?? hop.user,
        port: parsed.port ?? hop.port,
        jump: i === 0 ? hop.jump : [],
      });
    }
    target.jump = hops;
  }
  return target;
}

/** The nodes domain's connector for SSH profiles, over the SSH layer (loaded on first use). */
export function sshConnector(load: () => Promise<SshServices>, home = homedir()): NodeConnector {
  return async (profile) => {
    const ssh = await load();
    return ssh.openNode(profile.id, await profileTarget(profile, (name) => ssh.resolveHost(name), home));
  };
}

import { z } from 'zod';
import { channel } from './define.js';

/** A concrete host of the user's `~/.ssh/config`, as `ssh <alias>` would reach it. */
export interface SshConfigHost {
  alias: string;
  host: string;
  port: number;
  user: string;
  /** The ProxyJump chain, `user@host:port` per hop joined by commas; empty when direct. */
  via: string;
  identityFiles: string[];
  /** Directives of this host the workbench ignores or does not support, in words. */
  warnings: string[];
  /** The id of a node that already uses this alias as its host, if any. */
  nodeId: string | null;
}

/** Answer of `sshconfig:hosts`. */
export interface SshConfigHosts {
  /** Path of the config file read. */
  path: string;
  hosts: SshConfigHost[];
  /** File-level problems (unreadable Include, unsupported Match criteria). */
  warnings: string[];
}

const hostsRequest = z.object({}).strict();

/** Channels of the `sshconfig` domain: what the user's OpenSSH config offers to import as nodes. */
export const sshconfigChannels = {
  /** The concrete Host aliases of ~/.ssh/config with what they resolve to (nothing is added). */
  'sshconfig:hosts': channel<typeof hostsRequest, SshConfigHosts>(hostsRequest),
} as const;

/**
 * The SSH layer as the rest of the services use it: one host key store, one connection pool, config
 * import, and opening SshNodes. createWorkbench builds one of these and hands it to the nodes domain.
 */
import { join } from 'node:path';
import { SshNode } from '../nodes/ssh-node.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { SshPrompter } from './auth.js';
import { importSshConfig, SshConfigResolver, type SshConfigContext, type SshConfigImport } from './config-import.js';
import { HostKeyStore, type TrustHostKeyRequest } from './host-keys.js';
import { SshPool, type SshPoolOptions } from './pool.js';
import type { SshTarget } from './target.js';

/** What the SSH layer needs from its host. */
export interface SshServicesOptions {
  /** The workbench data directory; its `known_hosts` records the keys the user trusted. */
  dataDir: string;
  /** The local home directory (~/.ssh/config, ~/.ssh/known_hosts, default keys). */
  homeDir: string;
  /** The local user name (default remote user). */
  localUser: string;
  /** SSH_AUTH_SOCK of the environment, if any. */
  agentSocket?: string;
  /** Environment for ${VAR} in ssh config paths. */
  env?: Record<string, string | undefined>;
  secrets: SecretStore;
  /** Asks the user for passphrases, passwords and keyboard-interactive answers. */
  prompter?: SshPrompter;
  /** The user's known_hosts files (read only); default ~/.ssh/known_hosts. */
  userKnownHostsFiles?: string[];
  /** Keepalive, timeouts, reconnect policy, idle close. */
  connection?: SshPoolOptions;
}

/** The assembled SSH layer. */
export interface SshServices {
  readonly hostKeys: HostKeyStore;
  readonly pool: SshPool;
  /** Imports the hosts of an ssh config file (default ~/.ssh/config). */
  importConfig(configPath?: string): Promise<SshConfigImport>;
  /** Resolves one name through an ssh config file as `ssh name` would. */
  resolveHost(name: string, configPath?: string): Promise<{ target: SshTarget; warnings: string[] }>;
  /** Records a host key the user accepted (from an `ssh_host_key_unknown` error's details). */
  trustHostKey(request: TrustHostKeyRequest): Promise<void>;
  /** Connects (or reuses the pooled connection) and returns a node; rejects with an SshError. */
  openNode(id: string, target: SshTarget): Promise<SshNode>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Builds the SSH layer for one workbench process. */
export function createSshServices(options: SshServicesOptions): SshServices {
  const hostKeys = new HostKeyStore({
    userKnownHostsFiles: options.userKnownHostsFiles ?? [join(options.homeDir, '.ssh', 'known_hosts')],
    workbenchKnownHostsFile: join(options.dataDir, 'known_hosts'),
  });
  const pool = new SshPool(
    {
      hostKeys,
      secrets: options.secrets,
      ...(options.prompter ? { prompter: options.prompter } : {}),
      ...(options.agentSocket ? { agentSocket: options.agentSocket } : {}),
    },
    options.connection ?? {},
  );
  const context: SshConfigContext = {
    homeDir: options.homeDir,
    localUser: options.localUser,
    ...(options.env ? { env: options.env } : {}),
  };
  const defaultConfig = join(options.homeDir, '.ssh', 'config');
  return {
    hostKeys,
    pool,
    importConfig: (configPath = defaultConfig) => importSshConfig(configPath, context),
    resolveHost: async (name, configPath = defaultConfig) =>
      (await SshConfigResolver.load(configPath, context)).resolve(name),
    trustHostKey: (request) => hostKeys.trust(request),
    openNode: (id, target) => SshNode.open(id, target, pool),
    close: () => pool.closeAll(),
  };
}

/**
 * Turns the user's ~/.ssh/config into SshTargets: Host patterns (first value wins, as in OpenSSH),
 * HostName, User, Port, IdentityFile (~, ${ENV} and %-tokens), IdentityAgent, HostKeyAlias,
 * ConnectTimeout and ProxyJump chains whose hops may themselves be config aliases. Directives the
 * workbench cannot honour are reported per host, never fatal. `Match exec` is never run.
 */
import { existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type SSHConfig from 'ssh-config';
import { configAliases, loadSshConfig, unsupportedMatchCriteria } from './config-load.js';
import type { SshTarget } from './target.js';

/** Context for resolving a config (all passed in; nothing read from the process here). */
export interface SshConfigContext {
  /** The local home directory (for ~ and default identity files). */
  homeDir: string;
  /** The local user name (default remote user, %u). */
  localUser: string;
  /** The local host name (%l, %L); defaults to os.hostname(). */
  localHostname?: string;
  /** The local uid (%i). */
  uid?: number;
  /** Environment for ${VAR} in paths. */
  env?: Record<string, string | undefined>;
}

/** One host of the config, resolved. */
export interface ImportedHost {
  alias: string;
  target: SshTarget;
  /** Directives of this host that are ignored or unsupported, in words. */
  warnings: string[];
}

/** The result of importing a config file. */
export interface SshConfigImport {
  hosts: ImportedHost[];
  /** File-level problems (unreadable Include, unsupported Match criteria). */
  warnings: string[];
}

// Directives that change nothing for the workbench (or are honoured implicitly): silently accepted.
const ignored = new Set([
  'host',
  'match',
  'addkeystoagent',
  'addressfamily',
  'batchmode',
  'canonicaldomains',
  'canonicalizefallbacklocal',
  'canonicalizehostname',
  'canonicalizemaxdots',
  'canonicalizepermittedcnames',
  'checkhostip',
  'ciphers',
  'compression',
  'controlmaster',
  'controlpath',
  'controlpersist',
  'escapechar',
  'exitonforwardfailure',
  'fingerprinthash',
  'forwardx11',
  'forwardx11timeout',
  'forwardx11trusted',
  'gssapiauthentication',
  'gssapidelegatecredentials',
  'hashknownhosts',
  'hostbasedauthentication',
  'hostkeyalgorithms',
  'identitiesonly',
  'ipqos',
  'kbdinteractiveauthentication',
  'kexalgorithms',
  'loglevel',
  'logverbose',
  'macs',
  'nohostauthenticationforlocalhost',
  'numberofpasswordprompts',
  'passwordauthentication',
  'permitlocalcommand',
  'preferredauthentications',
  'pubkeyacceptedalgorithms',
  'pubkeyacceptedkeytypes',
  'pubkeyauthentication',
  'requesttty',
  'sendenv',
  'serveraliveinterval',
  'serveralivecountmax',
  'setenv',
  'streamlocalbindmask',
  'streamlocalbindunlink',
  'tcpkeepalive',
  'updatehostkeys',
  'usekeychain',
  'verifyhostkeydns',
  'visualhostkey',
  'xauthlocation',
  'ignoreunknown',
  'connectionattempts',
  'enableescapecommandline',
  'obscurekeystroketiming',
  'globalknownhostsfile',
  'sessiontype',
  'stdinnull',
  'forkafterauthentication',
  'remotecommand',
  'tag',
  'channeltimeout',
  'requiredrsasize',
  'user',
  'hostname',
  'port',
  'identityfile',
  'identityagent',
  'hostkeyalias',
  'connecttimeout',
  'proxyjump',
  'include',
]);

// Directives that would change how or where to connect, which the workbench does not do.
const unsupported: Record<string, string> = {
  proxycommand: 'ProxyCommand is not supported (use ProxyJump); connecting without it',
  localforward: 'LocalForward is not set up by the workbench',
  remoteforward: 'RemoteForward is not set up by the workbench',
  dynamicforward: 'DynamicForward is not set up by the workbench',
  certificatefile: 'CertificateFile: certificates are not supported; plain keys are offered',
  pkcs11provider: 'PKCS11Provider is not supported',
  securitykeyprovider: 'SecurityKeyProvider is not supported',
  userknownhostsfile: 'UserKnownHostsFile is ignored: the workbench reads ~/.ssh/known_hosts and its own file',
  knownhostscommand: 'KnownHostsCommand is not run',
  localcommand: 'LocalCommand is not run',
  bindaddress: 'BindAddress is ignored',
  bindinterface: 'BindInterface is ignored',
  revokedhostkeys: 'RevokedHostKeys is ignored (use @revoked lines in known_hosts)',
};

const defaultIdentityNames = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Splits one ProxyJump element, `[ssh://][user@]host[:port]` (IPv6 in brackets), into its parts. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } | undefined {
  let rest = spec
    .trim()
    .replace(/^ssh:\/\//, '')
    .replace(/\/$/, '');
  if (rest === '') return undefined;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1] as string;
    port = bracket[2] ? Number(bracket[2]) : undefined;
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [h, p] = rest.split(':');
    host = h as string;
    if (!/^\d+$/.test(p ?? '')) return undefined;
    port = Number(p);
  }
  if (host === '' || (port !== undefined && (port < 1 || port > 65535))) return undefined;
  return { ...(user ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
}

/** A loaded config that resolves names into targets. */
export class SshConfigResolver {
  constructor(
    private readonly config: SSHConfig,
    private readonly context: SshConfigContext,
    /** File-level warnings. */
    readonly warnings: string[] = [],
  ) {}

  /** Loads a config file (missing = empty) with its Includes. */
  static async load(configPath: string, context: SshConfigContext): Promise<SshConfigResolver> {
    const loaded = await loadSshConfig(configPath, context.homeDir);
    const warnings = [...loaded.warnings];
    for (const c of unsupportedMatchCriteria(loaded.config)) {
      warnings.push(
        c === 'exec'
          ? 'Match exec is never run; those blocks do not apply'
          : `Match ${c} is not supported; those blocks do not apply`,
      );
    }
    return new SshConfigResolver(loaded.config, context, warnings);
  }

  /** Concrete host aliases in file order. */
  aliases(): string[] {
    return configAliases(this.config);
  }

  /** Resolves a name (an alias or any host name) as `ssh name` would. */
  resolve(name: string): { target: SshTarget; warnings: string[] } {
    const warnings: string[] = [];
    const target = this.build(name, {}, true, 0, new Set(), warnings);
    return { target, warnings };
  }

  private build(
    name: string,
    override: { user?: string; port?: number },
    withJumps: boolean,
    depth: number,
    seen: Set<string>,
    warnings: string[],
  ): SshTarget {
    const c = this.config.compute(name, { ignoreCase: true, matchExec: false }) as Record<
      string,
      string | string[] | undefined
    >;
    const label = depth === 0 ? '' : `jump host ${name}: `;
    for (const key of Object.keys(c)) {
      if (unsupported[key]) {
        if (key === 'proxycommand' && /^none$/i.test(first(c[key]) ?? '')) continue;
        warnings.push(`${label}${unsupported[key]}`);
      } else if (key === 'forwardagent') {
        if (/^(yes|true)$/i.test(first(c[key]) ?? ''))
          warnings.push(`${label}ForwardAgent is never enabled by the workbench`);
      } else if (key === 'stricthostkeychecking') {
        if (/^(no|off|accept-new)$/i.test(first(c[key]) ?? ''))
          warnings.push(
            `${label}StrictHostKeyChecking ${first(c[key])} is not honoured: unknown keys are always confirmed`,
          );
      } else if (!ignored.has(key)) {
        warnings.push(`${label}unknown directive ${key}; ignored`);
      }
    }
    const host = this.tokens(first(c.hostname) ?? name, { h: name }, warnings, 'HostName');
    const portText = first(c.port);
    let port = override.port ?? 22;
    if (override.port === undefined && portText !== undefined) {
      if (/^\d+$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) port = Number(portText);
      else warnings.push(`${label}Port ${portText} is not a port number; using 22`);
    }
    const user = override.user ?? first(c.user) ?? this.context.localUser;
    const tokens = { h: host, p: String(port), r: user, n: name };
    const identityFiles = all(c.identityfile).map((f) => this.path(f, tokens, warnings, 'IdentityFile'));
    for (const f of identityFiles) if (!existsSync(f)) warnings.push(`${label}IdentityFile ${f} does not exist`);
    if (identityFiles.length === 0) {
      for (const n of defaultIdentityNames) {
        const p = join(this.context.homeDir, '.ssh', n);
        if (existsSync(p)) identityFiles.push(p);
      }
    }
    const target: SshTarget = { host, port, user, identityFiles, jump: [], alias: name };
    const agent = first(c.identityagent);
    if (agent !== undefined) {
      if (/^none$/i.test(agent)) target.identityAgent = null;
      else if (agent !== 'SSH_AUTH_SOCK') {
        const envName = /^\$\{?(\w+)\}?$/.exec(agent)?.[1];
        const path = envName ? this.context.env?.[envName] : this.path(agent, tokens, warnings, 'IdentityAgent');
        target.identityAgent = path ?? null;
      }
    }
    const alias = first(c.hostkeyalias);
    if (alias) target.hostKeyAlias = alias;
    const timeout = first(c.connecttimeout);
    if (timeout && /^\d+$/.test(timeout) && Number(timeout) > 0) target.connectTimeoutSec = Number(timeout);

    const jumpText = all(c.proxyjump).join(',');
    if (withJumps && jumpText && !/^none$/i.test(jumpText.trim())) {
      if (depth >= 8 || seen.has(name)) {
        warnings.push(`ProxyJump of ${name} loops or nests too deep; stopped there`);
        return target;
      }
      const nextSeen = new Set(seen).add(name);
      const specs = jumpText
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      specs.forEach((spec, i) => {
        const parsed = parseJumpSpec(spec);
        if (!parsed) return void warnings.push(`ProxyJump entry "${spec}" is not [user@]host[:port]; ignored`);
        // As with `ssh -J a,b`: only the first hop follows its own ProxyJump.
        const hop = this.build(parsed.host, parsed, i === 0, depth + 1, nextSeen, warnings);
        target.jump.push(hop);
      });
    }
    return target;
  }

  private tokens(value: string, tokens: Record<string, string>, warnings: string[], what: string): string {
    const local = this.context.localHostname ?? osHostname();
    const table: Record<string, string> = {
      '%': '%',
      d: this.context.homeDir,
      u: this.context.localUser,
      l: local,
      L: local.split('.')[0] ?? local,
      ...(this.context.uid !== undefined ? { i: String(this.context.uid) } : {}),
      ...tokens,
    };
    return value.replace(/%(.)/g, (m, ch: string) => {
      const v = table[ch];
      if (v === undefined) warnings.push(`${what}: token ${m} is not supported; left as is`);
      return v ?? m;
    });
  }

  private path(value: string, tokens: Record<string, string>, warnings: string[], what: string): string {
    let v = value.replace(/\$\{(\w+)\}/g, (m, n: string) => this.context.env?.[n] ?? m);
    v = this.tokens(v, tokens, warnings, what);
    if (v === '~' || v.startsWith('~/')) v = join(this.context.homeDir, v.slice(1));
    return isAbsolute(v) ? v : join(this.context.homeDir, v);
  }
}

/** Imports every concrete host of a config file (missing file = no hosts). */
export async function importSshConfig(configPath: string, context: SshConfigContext): Promise<SshConfigImport> {
  const resolver = await SshConfigResolver.load(configPath, context);
  const hosts = resolver.aliases().map((alias) => ({ alias, ...resolver.resolve(alias) }));
  return { hosts, warnings: resolver.warnings };
}

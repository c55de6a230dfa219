/** Where and as whom to connect: one SSH host, possibly reached through jump hosts. */
export interface SshTarget {
  /** Host name or address to connect to (HostName, or the alias when there is none). */
  host: string;
  port: number;
  /** Remote user name. */
  user: string;
  /** Private key files to offer, in order (absolute paths). */
  identityFiles: string[];
  /**
   * Jump hosts (ProxyJump), in order: the first is contacted directly, each next one through the
   * previous, and this target through the last. A hop's own `jump` is expanded in front of it.
   */
  jump: SshTarget[];
  /** The ssh config alias this target was resolved from, for messages. */
  alias?: string;
  /** HostKeyAlias: the name looked up in known_hosts instead of `host`. */
  hostKeyAlias?: string;
  /** IdentityAgent: agent socket to use; `null` disables the agent; undefined means SSH_AUTH_SOCK. */
  identityAgent?: string | null;
  /** ConnectTimeout in seconds. */
  connectTimeoutSec?: number;
}

/** The hops to connect through, in order, ending with the target itself (each with `jump` emptied). */
export function flattenHops(target: SshTarget, depth = 0): SshTarget[] {
  if (depth > 16) throw new Error(`ProxyJump chain of ${describeTarget(target)} is too deep (a loop?).`);
  const self: SshTarget = { ...target, jump: [] };
  return [...target.jump.flatMap((hop) => flattenHops(hop, depth + 1)), self];
}

/** `user@host:port`, with `[...]` around IPv6 addresses. */
export function userHostPort(t: Pick<SshTarget, 'user' | 'host' | 'port'>): string {
  return `${t.user}@${hostPort(t.host, t.port)}`;
}

/** `host:port`, with `[...]` around IPv6 addresses. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A readable name for messages: the alias when there is one, else user@host:port. */
export function describeTarget(t: SshTarget): string {
  const base = userHostPort(t);
  return t.alias && t.alias !== t.host ? `${t.alias} (${base})` : base;
}

/** The pool key: host, port, user and the whole jump chain. */
export function targetKey(target: SshTarget): string {
  return flattenHops(target)
    .map((h) => userHostPort(h))
    .join(' -> ');
}

/** The name a host is recorded under in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

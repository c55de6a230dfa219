/**
 * Opens one authenticated ssh2 Client to one hop, directly or over a stream forwarded by the previous
 * hop. The host key is checked against known_hosts under the hop's own name during key exchange, before
 * the client asks for the userauth service, so an unknown, changed or revoked key ends the connection
 * before any credential is read or sent.
 */
import type { Duplex } from 'node:stream';
import { Client, type ServerHostKeyAlgorithm } from 'ssh2';
import { AuthSession, type AuthOptions } from './auth.js';
import { PausableTimer } from './backoff.js';
import { SshError, type HostKeyDetails } from './errors.js';
import type { HostKeyStore } from './host-keys.js';
import { blobKeyType, fingerprintSha256 } from './known-hosts.js';
import { describeTarget, hostPort, knownHostsName, type SshTarget } from './target.js';

/** What every hop needs. */
export interface HopDeps extends AuthOptions {
  hostKeys: HostKeyStore;
}

/** Timing and diagnostics of a hop. */
export interface HopOptions {
  /** TCP connect plus key exchange (default 20 s; the target's ConnectTimeout wins). */
  connectTimeoutMs: number;
  /** Authentication, not counting time spent waiting for the user (default 60 s). */
  authTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Receives ssh2's protocol debug lines (they contain no secrets). */
  debug?: (message: string) => void;
}

/** One hop of a chain and where it sits. */
export interface HopRequest {
  hop: SshTarget;
  /** Position in the chain; `hopCount - 1` is the target itself. */
  index: number;
  hopCount: number;
  /** The stream to run SSH over (from the previous hop); absent for a direct TCP connection. */
  sock?: Duplex;
  /** Description of the previous hop, for messages. */
  via?: string;
  /** Called when key exchange is done and authentication starts. */
  onAuthenticating?: () => void;
}

// ssh2's host key algorithms, most preferred first (its own default order).
const hostKeyAlgorithms: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Asks for key types already on record first, as OpenSSH does, so a known host presents a known key. */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const known = new Set(knownTypes);
  const isKnown = (alg: string) => known.has(alg.startsWith('rsa-sha2-') ? 'ssh-rsa' : alg);
  return [...hostKeyAlgorithms.filter(isKnown), ...hostKeyAlgorithms.filter((a) => !isKnown(a))];
}

function hopField(req: HopRequest): { hop?: number } {
  return req.hopCount > 1 && req.index < req.hopCount - 1 ? { hop: req.index } : {};
}

function hostKeyError(req: HopRequest, details: HostKeyDetails): SshError<HostKeyDetails> {
  const name = knownHostsName(details.host, details.port);
  const role = details.hop !== undefined ? `jump host ${describeTarget(req.hop)}` : describeTarget(req.hop);
  if (details.status === 'unknown') {
    const others = details.otherKnownKeyTypes?.length
      ? ` Other key types are on record for it (${details.otherKnownKeyTypes.join(', ')}); be sure this one is genuine.`
      : '';
    return new SshError(
      'ssh_host_key_unknown',
      `The host key of ${role} is not known: ${details.keyType} ${details.fingerprint}.${others}`,
      "Compare the fingerprint with the one the host's administrator gives you " +
        `(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on ${name}); trust it only if they match.`,
      details,
    );
  }
  const what = details.status === 'revoked' ? 'is revoked' : 'has CHANGED';
  return new SshError(
    'ssh_host_key_changed',
    `The host key of ${role} ${what}: it presented ${details.keyType} ${details.fingerprint}, ` +
      `which does not match ${details.recordedAt}. Someone may be intercepting the connection; nothing was sent.`,
    "Ask the host's administrator whether the key was changed. " +
      `Only if it was, remove the old entry (${details.recordedAt}) and connect again.`,
    details,
  );
}

function unreachable(req: HopRequest, cause: string, text: string): SshError {
  const address = `${hostPort(req.hop.host, req.hop.port)}${req.via ? ` via ${req.via}` : ''}`;
  return new SshError(
    'ssh_unreachable',
    `Cannot reach ${describeTarget(req.hop)} at ${address}: ${text}.`,
    req.via
      ? `Check that ${req.via} can reach ${hostPort(req.hop.host, req.hop.port)} and allows TCP forwarding.`
      : 'Check the host name, port, VPN and that the host is up.',
    { kind: 'unreachable', host: req.hop.host, port: req.hop.port, address, cause, ...hopField(req) },
  );
}

function socketErrorText(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is sshd running on that port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return message;
  }
}

/** Connects and authenticates one hop; rejects with SshError (host key, unreachable, auth, storage). */
export async function connectHop(req: HopRequest, deps: HopDeps, options: HopOptions): Promise<Client> {
  const { hop } = req;
  const lookupName = hop.hostKeyAlias ?? hop.host;
  // Reads known_hosts now: an unreadable file refuses before any network traffic.
  const knownTypes = await deps.hostKeys.knownKeyTypes(lookupName, hop.port);
  const client = new Client();
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let failure: Error | undefined;
    let authTimer: PausableTimer | undefined;
    const auth = new AuthSession(hop, deps, async (fn) => {
      authTimer?.pause();
      try {
        return await fn();
      } finally {
        authTimer?.resume();
      }
    });
    const connectTimeoutMs =
      hop.connectTimeoutSec !== undefined ? hop.connectTimeoutSec * 1000 : options.connectTimeoutMs;
    const connectTimer = setTimeout(() => {
      failure ??= unreachable(req, 'timeout', `no SSH handshake within ${Math.round(connectTimeoutMs / 1000)} s`);
      client.destroy();
    }, connectTimeoutMs);
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      authTimer?.clear();
      if (err) {
        client.removeAllListeners('ready');
        client.destroy();
        reject(err);
      } else {
        resolve(client);
      }
    };
    // Only the first key exchange; later ones are re-keys of a live connection.
    client.once('handshake', () => {
      if (settled) return;
      clearTimeout(connectTimer);
      req.onAuthenticating?.();
      authTimer = new PausableTimer(options.authTimeoutMs, () => {
        failure ??= new SshError(
          'ssh_auth_failed',
          `Authentication to ${describeTarget(hop)} did not finish within ${Math.round(options.authTimeoutMs / 1000)} s.`,
          'Check the connection and the server; then retry.',
          {
            kind: 'auth',
            host: hop.host,
            port: hop.port,
            user: hop.user,
            methodsTried: auth.tried,
            serverMethods: auth.serverMethods,
            ...hopField(req),
          },
        );
        client.destroy();
      });
    });
    client.on('ready', () => {
      auth.succeeded().then(
        () => finish(undefined),
        () => finish(undefined), // failing to remember a password does not fail the connection
      );
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      // Recoverable auth-step errors (agent unreachable, a key that cannot sign): ssh2 moves on.
      if (err.level === 'agent') return void auth.tried.push(`agent (failed: ${err.message})`);
      if (err.level === 'client-authentication' && !/All configured authentication methods failed/.test(err.message))
        return;
      if (failure) return finish(failure);
      if (err.level === 'client-authentication') {
        const tried = auth.tried.length ? auth.tried.join('; ') : 'nothing (no agent, key, or prompt available)';
        return finish(
          new SshError(
            'ssh_auth_failed',
            `Authentication to ${describeTarget(hop)} as ${hop.user} failed. Tried: ${tried}. ` +
              `The server accepts: ${auth.serverMethods.join(', ') || 'unknown'}.`,
            'Check the user name, add your key to the agent or the host entry (IdentityFile), or enter the passphrase/password when asked.',
            {
              kind: 'auth',
              host: hop.host,
              port: hop.port,
              user: hop.user,
              methodsTried: [...auth.tried],
              serverMethods: auth.serverMethods,
              ...hopField(req),
            },
          ),
        );
      }
      if (err.level === 'client-socket') {
        return finish(unreachable(req, err.code ?? 'socket', socketErrorText(err.code ?? '', err.message)));
      }
      return finish(unreachable(req, err.level ?? 'protocol', `SSH error: ${err.message}`));
    });
    client.on('close', () =>
      finish(failure ?? unreachable(req, 'closed', 'the connection closed before login completed')),
    );

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      deps.hostKeys.check(lookupName, hop.port, key).then(
        (res) => {
          if (res.status === 'trusted') return verify(true);
          failure = hostKeyError(req, {
            kind: 'host_key',
            status: res.status,
            host: lookupName,
            port: hop.port,
            keyType: blobKeyType(key) ?? 'unknown',
            fingerprint: fingerprintSha256(key),
            key: key.toString('base64'),
            ...(res.status === 'unknown'
              ? res.otherKnownKeyTypes.length
                ? { otherKnownKeyTypes: res.otherKnownKeyTypes }
                : {}
              : { recordedAt: res.source }),
            ...hopField(req),
          });
          verify(false);
        },
        (err: unknown) => {
          failure = err instanceof Error ? err : new Error(String(err));
          verify(false);
        },
      );
    };

    try {
      client.connect({
        host: hop.host,
        port: hop.port,
        username: hop.user,
        ...(req.sock ? { sock: req.sock } : {}),
        hostVerifier,
        authHandler: auth.handler,
        agentForward: false, // never: anyone with access to the socket on the node could use the keys
        readyTimeout: 0, // our own timers: connect/handshake, then authentication minus time at prompts
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: options.keepaliveCountMax,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownTypes) },
        ...(options.debug ? { debug: options.debug } : {}),
      });
    } catch (err) {
      finish(unreachable(req, 'config', (err as Error).message));
    }
  });
}

/** Opens a TCP stream through `client` to host:port (for the next hop). */
export function forwardThrough(
  client: Client,
  via: string,
  next: SshTarget,
  index: number,
  hopCount: number,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) => {
      if (err) {
        const req: HopRequest = { hop: next, index, hopCount, via };
        reject(unreachable(req, 'forward', `the jump host could not open a connection (${err.message})`));
      } else {
        resolve(stream);
      }
    });
  });
}

/**
 * Structured data a service error may carry for the UI (a host key to confirm, the auth methods tried).
 * Public facts only: never a secret.
 */

/** What the UI needs to show a host key and, for an unknown one, offer to trust it. */
export interface HostKeyDetails {
  kind: 'host_key';
  /** `unknown`: never seen; `changed`: a different key of the same type is recorded; `revoked`: marked @revoked. */
  status: 'unknown' | 'changed' | 'revoked';
  /** The host as it is looked up in known_hosts (HostName, or HostKeyAlias when set). */
  host: string;
  port: number;
  /** Key type as in known_hosts (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...). */
  keyType: string;
  /** `SHA256:...` without padding, as OpenSSH prints it. */
  fingerprint: string;
  /** The presented public key blob, base64 (public data, safe to show). */
  key: string;
  /** For `changed`/`revoked`: where the conflicting record is (`file:line`). */
  recordedAt?: string;
  /** Key types recorded for this host other than the one presented (a server offering a new type). */
  otherKnownKeyTypes?: string[];
  /** Which hop of a ProxyJump chain this is (0 = first jump host); absent for a direct connection. */
  hop?: number;
}

/** Where a connection could not be established. */
export interface UnreachableDetails {
  kind: 'unreachable';
  host: string;
  port: number;
  /** `host:port`, plus ` via <jump host>` when reached through a jump host. */
  address: string;
  /** The underlying error code or reason (ECONNREFUSED, ENOTFOUND, timeout, ...). */
  cause: string;
  hop?: number;
}

/** Which authentication methods were tried and what the server allows. */
export interface AuthFailedDetails {
  kind: 'auth';
  host: string;
  port: number;
  user: string;
  /** Each attempt in order, e.g. `agent`, `publickey /home/u/.ssh/id_ed25519 (passphrase not given)`, `password`. */
  methodsTried: string[];
  /** Methods the server said it accepts (from its last USERAUTH_FAILURE). */
  serverMethods: string[];
  hop?: number;
}

/** A known_hosts file that exists but cannot be read. */
export interface KnownHostsUnreadableDetails {
  kind: 'known_hosts_unreadable';
  file: string;
  cause: string;
}

/** Structured data attached to an SshError. Holds no secrets. */
export type SshErrorDetails = HostKeyDetails | UnreachableDetails | AuthFailedDetails | KnownHostsUnreadableDetails;

/** Any structured error details. */
export type ErrorDetails = SshErrorDetails;

/** Error codes every channel may answer with; the renderer switches on these, never on messages. */
export const errorCodes = [
  'invalid_request',
  'not_found',
  'conflict',
  'unavailable',
  'trainer_missing',
  'trainer_failed',
  'ssh_auth_failed',
  'ssh_host_key_unknown',
  'ssh_host_key_changed',
  'ssh_unreachable',
  'remote_failed',
  'storage_failed',
  'internal',
] as const;

/** One of the known error codes. */
export type ErrorCode = (typeof errorCodes)[number];

/** A host key the SSH layer refused, as the UI shows it (public data only). */
export interface HostKeyErrorDetails {
  kind: 'host_key';
  /** `unknown`: never seen; `changed`: a different key of the same type is recorded; `revoked`: marked @revoked. */
  status: 'unknown' | 'changed' | 'revoked';
  host: string;
  port: number;
  keyType: string;
  /** `SHA256:...` as OpenSSH prints it. */
  fingerprint: string;
  /** The presented public key, base64. */
  key: string;
  /** Where the conflicting record is (`file:line`), for changed or revoked keys. */
  recordedAt?: string;
  otherKnownKeyTypes?: string[];
  /** Which ProxyJump hop (0 = first jump host); absent for the node itself. */
  hop?: number;
}

/** Structured facts an error may carry for the UI; never a secret. */
export type ErrorDetails = HostKeyErrorDetails | { kind: string; [key: string]: unknown };

/** The error shape that crosses every transport: what happened, and what to do next. */
export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: ErrorDetails;
}

/** The result envelope of one request, as both transports deliver it. */
export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape };

/** An error raised on the client side of a transport, carrying the service's typed error. */
export class WorkbenchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: ErrorDetails | undefined;

  constructor(shape: AppErrorShape) {
    super(shape.message);
    this.name = 'WorkbenchError';
    this.code = shape.code;
    this.hint = shape.hint;
    this.details = shape.details;
  }
}

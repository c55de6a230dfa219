/** Error codes every channel may answer with; the renderer switches on these, never on messages. */
import type { ErrorDetails } from './error-details.js';

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

/** The error shape that crosses every transport: what happened, and what to do next. */
export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** Structured facts for the UI (e.g. the host key to confirm). */
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

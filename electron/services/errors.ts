import type { ErrorDetails } from '../contract/error-details.js';
import type { AppErrorShape, ErrorCode } from '../contract/errors.js';

/** A failure a service reports to its caller: a code, a message naming the problem, and a next step. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, details?: ErrorDetails) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  /** The transport shape of this error. */
  toShape(): AppErrorShape {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Converts anything thrown into the transport error shape; unknown errors become `internal`. */
export function toErrorShape(err: unknown): AppErrorShape {
  if (err instanceof ServiceError) return err.toShape();
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug in the workbench; the log has details.',
  };
}

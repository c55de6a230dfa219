import type { AppErrorShape, ErrorCode } from '../contract/errors.js';

/** A failure a service reports to its caller: a code, a message naming the problem, and a next step. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.hint = hint;
  }

  /** The transport shape of this error. */
  toShape(): AppErrorShape {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
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

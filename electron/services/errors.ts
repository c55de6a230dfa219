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

  /** The transport shape of this error; structured `details` (e.g. a refused host key) go along. */
  toShape(): AppErrorShape {
    const shape: AppErrorShape = { code: this.code, message: this.message };
    if (this.hint !== undefined) shape.hint = this.hint;
    const details = (this as { details?: unknown }).details;
    if (details && typeof details === 'object' && typeof (details as { kind?: unknown }).kind === 'string') {
      shape.details = details as AppErrorShape['details'] & object;
    }
    return shape;
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

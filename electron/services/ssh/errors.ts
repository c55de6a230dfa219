import type { ErrorCode } from '../../contract/errors.js';
import type { HostKeyDetails, SshErrorDetails } from '../../contract/error-details.js';

export type {
  AuthFailedDetails,
  HostKeyDetails,
  KnownHostsUnreadableDetails,
  SshErrorDetails,
  UnreachableDetails,
} from '../../contract/error-details.js';
import { ServiceError } from '../errors.js';

/** A ServiceError from the SSH layer with structured details for the UI. */
export class SshError<D extends SshErrorDetails = SshErrorDetails> extends ServiceError {
  declare readonly details: D;

  constructor(code: ErrorCode, message: string, hint: string | undefined, details: D) {
    super(code, message, hint, details);
    this.name = 'SshError';
  }
}

/** True for an SshError about an unknown host key (the caller may offer `trustHostKey`). */
export function isHostKeyUnknown(err: unknown): err is SshError<HostKeyDetails> {
  return err instanceof SshError && err.code === 'ssh_host_key_unknown';
}

/** True for errors a retry cannot fix without the user (host key problems, failed authentication). */
export function isPermanentSshError(err: unknown): boolean {
  return (
    err instanceof ServiceError &&
    (err.code === 'ssh_host_key_unknown' ||
      err.code === 'ssh_host_key_changed' ||
      err.code === 'ssh_auth_failed' ||
      err.code === 'storage_failed')
  );
}

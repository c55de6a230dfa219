import { createHash } from 'node:crypto';
import type { TrustRequest } from '../../contract/hostkeys.js';
import { ServiceError } from '../errors.js';
import type { Handlers } from '../rpc/handlers.js';

/** Records a host key the user accepted; the SSH layer provides it (absent: SSH is not available). */
export type TrustHostKey = (request: { host: string; port: number; keyType: string; key: string; fingerprint: string }) => Promise<void>;

/** The OpenSSH SHA256 fingerprint of a base64 public key blob. */
export function sha256Fingerprint(keyBase64: string): string {
  return 'SHA256:' + createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64').replace(/=+$/, '');
}

/** Handlers of the `hostkeys` domain. */
export function hostkeysHandlers(trust: TrustHostKey | undefined): Pick<Handlers, 'hostkeys:trust'> {
  return {
    'hostkeys:trust': async (req: TrustRequest) => {
      // The user confirmed what they saw: the key must be the one that fingerprint names.
      if (sha256Fingerprint(req.key) !== req.fingerprint.replace(/=+$/, '')) {
        throw new ServiceError('invalid_request', 'The key does not match the fingerprint you confirmed.', 'Connect again and compare the new fingerprint.');
      }
      if (!trust) {
        throw new ServiceError('unavailable', 'This workbench was started without SSH support, so it cannot record host keys.', 'Start the workbench normally (npm start).');
      }
      await trust(req);
      return { trusted: true as const };
    },
  };
}

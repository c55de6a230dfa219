import { z } from 'zod';
import { channel } from './define.js';

const trustRequest = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    keyType: z.string().regex(/^[a-z0-9@.-]+$/, 'a key type like ssh-ed25519'),
    key: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'a base64 public key'),
    /** The fingerprint the user was shown; the services check it matches the key. */
    fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]+=*$/, 'a SHA256 fingerprint'),
  })
  .strict();

/** Request of `hostkeys:trust`. */
export type TrustRequest = z.input<typeof trustRequest>;

/** Channels of the `hostkeys` domain: the user's answer to an unknown host key. */
export const hostkeysChannels = {
  /** Records an unknown host key the user confirmed by its fingerprint; never overrides a changed key. */
  'hostkeys:trust': channel<typeof trustRequest, { trusted: true }>(trustRequest),
} as const;

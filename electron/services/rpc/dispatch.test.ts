import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors.js';
import { dispatch } from './dispatch.js';
import type { Handlers } from './handlers.js';

const info = {
  workbenchVersion: '9.9.9',
  transport: 'browser' as const,
  dataDir: '/data',
  trainer: { state: 'missing' as const, path: '/x', hint: 'build it' },
};

describe('dispatch', () => {
  it('calls the handler with the validated request and wraps its value', async () => {
    const seen: unknown[] = [];
    const handlers: Pick<Handlers, 'app:info'> = {
      'app:info': async (req) => {
        seen.push(req);
        return info;
      },
    };
    await expect(dispatch(handlers as Handlers, 'app:info', {})).resolves.toEqual({ ok: true, value: info });
    expect(seen).toEqual([{}]);
  });

  it('refuses unknown channels and invalid payloads before any handler runs', async () => {
    let calls = 0;
    const handlers: Pick<Handlers, 'app:info'> = {
      'app:info': async () => {
        calls++;
        return info;
      },
    };
    const unknown = await dispatch(handlers as Handlers, 'fs:readFile', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const invalid = await dispatch(handlers as Handlers, 'app:info', { unexpected: true });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(JSON.stringify(invalid)).toContain('unexpected');
    expect(calls).toBe(0);
  });

  it('passes typed service errors through and hides nothing but stack traces', async () => {
    const typed: Pick<Handlers, 'app:info'> = {
      'app:info': async () => {
        throw new ServiceError('trainer_missing', 'No trainer', 'Build it');
      },
    };
    await expect(dispatch(typed as Handlers, 'app:info', {})).resolves.toEqual({
      ok: false,
      error: { code: 'trainer_missing', message: 'No trainer', hint: 'Build it' },
    });
    const untyped: Pick<Handlers, 'app:info'> = {
      'app:info': async () => {
        throw new TypeError('boom');
      },
    };
    const result = await dispatch(untyped as Handlers, 'app:info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(result)).toContain('boom');
  });

  it('carries structured details (a host key to confirm) to the caller', async () => {
    const details = {
      kind: 'host_key' as const,
      status: 'unknown' as const,
      host: 'gpu1',
      port: 22,
      keyType: 'ssh-ed25519',
      fingerprint: 'SHA256:abc',
      key: 'AAAA',
    };
    const handlers: Pick<Handlers, 'app:info'> = {
      'app:info': async () => {
        throw new ServiceError('ssh_host_key_unknown', 'Unknown host key', 'Confirm the fingerprint', details);
      },
    };
    await expect(dispatch(handlers as Handlers, 'app:info', {})).resolves.toEqual({
      ok: false,
      error: { code: 'ssh_host_key_unknown', message: 'Unknown host key', hint: 'Confirm the fingerprint', details },
    });
  });
});

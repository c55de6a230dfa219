import { channels, isChannelName } from '../../contract/channels.js';
import type { RpcResult } from '../../contract/errors.js';
import { toErrorShape } from '../errors.js';
import type { Handlers } from './handlers.js';

/**
 * The one entry point of both transports: checks the channel is known, validates the payload with the
 * contract's schema, calls the handler, and wraps the outcome. Never throws.
 */
export async function dispatch(handlers: Handlers, channel: string, payload: unknown): Promise<RpcResult<unknown>> {
  if (!isChannelName(channel)) {
    return { ok: false, error: { code: 'invalid_request', message: `Unknown channel "${channel}".` } };
  }
  const parsed = channels[channel].request.safeParse(payload ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(request)'}: ${i.message}`)
      .join('; ');
    return {
      ok: false,
      error: { code: 'invalid_request', message: `Invalid request for ${channel}: ${issues}` },
    };
  }
  try {
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: toErrorShape(err) };
  }
}

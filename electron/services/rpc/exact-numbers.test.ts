import { describe, expect, it } from 'vitest';
import type { Handlers } from './handlers.js';
import { dispatch } from './dispatch.js';

// The request as a transport receives it: JSON text, parsed.
const body = (overrides: string): unknown => JSON.parse(`{"preset": "jetmoe-tiny", "overrides": ${overrides}}`);

describe('numbers in requests', () => {
  it('refuses an integer flag value beyond 2^53 - 1 instead of launching it rounded', async () => {
    const launched: unknown[] = [];
    const handlers = {
      'runs:launch': async (req: unknown) => launched.push(req),
      'config:plan': async (req: unknown) => launched.push(req),
    } as unknown as Handlers;
    const big = await dispatch(handlers, 'runs:launch', body('{"max-steps": 9007199254740993}'));
    expect(big).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('overrides.max-steps') as unknown },
    });
    expect((big as { error: { message: string } }).error.message).toMatch(/beyond 2\^53 - 1/);
    expect((await dispatch(handlers, 'config:plan', body('{"max-steps": 1e300}'))).ok).toBe(false);
    expect(launched).toEqual([]);

    // The largest exact integer, a fraction and the big value as a string all pass, unchanged.
    const ok = await dispatch(
      handlers,
      'runs:launch',
      body('{"max-steps": 9007199254740991, "lr": 0.003, "seed": "9007199254740993"}'),
    );
    expect(ok.ok).toBe(true);
    expect(launched[0]).toMatchObject({
      overrides: { 'max-steps': '9007199254740991', lr: '0.003', seed: '9007199254740993' },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { evalEveryOff, evalEveryRequest, parseTokenCount } from './eval-every.js';

describe('evaluate-every fields', () => {
  it('parses token counts with suffixes', () => {
    expect(parseTokenCount('200000')).toBe(200000);
    expect(parseTokenCount('50M')).toBe(50_000_000);
    expect(parseTokenCount('1.5k')).toBe(1500);
    expect(parseTokenCount('0')).toBeNull();
    expect(parseTokenCount('-3')).toBeNull();
    expect(parseTokenCount('abc')).toBeNull();
  });

  it('is off when tokens are empty', () => {
    expect(evalEveryRequest(evalEveryOff)).toEqual({ value: undefined, error: null });
  });

  it('builds native and lm-eval requests', () => {
    expect(evalEveryRequest({ tokens: '8192', kind: 'native', tasks: 'x', limit: '' }).value).toEqual({
      tokens: 8192,
      kind: 'native',
      tasks: [],
    });
    expect(
      evalEveryRequest({ tokens: '1M', kind: 'lm-eval', tasks: 'arc_easy, hellaswag', limit: '50' }).value,
    ).toEqual({
      tokens: 1_000_000,
      kind: 'lm-eval',
      tasks: ['arc_easy', 'hellaswag'],
      limit: 50,
    });
  });

  it('names the problem and the fix', () => {
    expect(evalEveryRequest({ tokens: 'soon', kind: 'native', tasks: '', limit: '' }).error).toMatch(
      /not a token count.*50M/,
    );
    expect(evalEveryRequest({ tokens: '100', kind: 'lm-eval', tasks: '', limit: '' }).error).toMatch(
      /at least one task/,
    );
    expect(evalEveryRequest({ tokens: '100', kind: 'native', tasks: '', limit: '0' }).error).toMatch(
      /positive whole number/,
    );
  });
});

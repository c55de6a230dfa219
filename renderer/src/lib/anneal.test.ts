import { describe, expect, it } from 'vitest';
import { annealPlanFlags, lineageOf, parseLength } from './anneal.js';

describe('annealPlanFlags', () => {
  it('decays over the whole fork in steps, with no warmup', () => {
    const f = annealPlanFlags({ unit: 'steps', length: 40, form: 'linear', minLr: 1e-5 });
    expect(f).toMatchObject({
      'max-steps': '40',
      'train-tokens': '0',
      'decay-steps': '40',
      'decay-start-steps': '0',
      'warmup-steps': '0',
      'decay-form': 'linear',
      'min-lr': '0.00001',
    });
  });
  it('uses token flags only when the length is in tokens', () => {
    const f = annealPlanFlags({ unit: 'tokens', length: 65536, form: 'cosine', minLr: 0.0001 });
    expect(f).toMatchObject({
      'max-steps': '0',
      'train-tokens': '65536',
      'decay-tokens': '65536',
      'decay-steps': '0',
      'decay-start-tokens': '0',
      'decay-start-steps': 'auto',
    });
  });
});

describe('lineageOf', () => {
  it('tells a launch, a fork and an anneal apart', () => {
    expect(lineageOf({ parentRunId: null, parentCheckpointId: null, overrides: {} })).toEqual({ kind: 'launched' });
    expect(
      lineageOf({ parentRunId: 'r-20261129-aaaaaa', parentCheckpointId: 3, overrides: { lr: '0.001' } }).kind,
    ).toBe('forked');
    const anneal = annealPlanFlags({ unit: 'steps', length: 10, form: 'exponential', minLr: 1e-5 });
    expect(lineageOf({ parentRunId: 'r-20261129-aaaaaa', parentCheckpointId: 3, overrides: anneal })).toEqual({
      kind: 'annealed',
      parentRunId: 'r-20261129-aaaaaa',
      parentCheckpointId: 3,
    });
  });
  it('calls a fork with warmup a fork even when its decay starts at 0', () => {
    expect(
      lineageOf({
        parentRunId: 'r-1',
        parentCheckpointId: 1,
        overrides: { 'decay-start-steps': '0', 'warmup-steps': '5' },
      }).kind,
    ).toBe('forked');
  });
});

describe('parseLength', () => {
  it('reads plain numbers and the trainer suffixes', () => {
    expect(parseLength('2000')).toBe(2000);
    expect(parseLength('10k')).toBe(10_000);
    expect(parseLength('1.25T')).toBe(1_250_000_000_000);
    expect(parseLength(' 3M ')).toBe(3_000_000);
  });
  it('refuses what is not a positive length', () => {
    expect(parseLength('')).toBeNull();
    expect(parseLength('0')).toBeNull();
    expect(parseLength('-5')).toBeNull();
    expect(parseLength('12x')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { diffConfigs } from './config-diff.js';

describe('diffConfigs', () => {
  it('lists exactly the keys whose values differ, sorted', () => {
    const a = { lr: 0.003, seed: 1, 'num-layers': 4, dtype: 'float32' };
    const b = { lr: 0.001, seed: 1, 'num-layers': 4, dtype: 'bfloat16' };
    expect(diffConfigs([a, b])).toEqual([
      { key: 'dtype', values: ['float32', 'bfloat16'] },
      { key: 'lr', values: [0.003, 0.001] },
    ]);
  });

  it('treats the same number written two ways as equal', () => {
    expect(diffConfigs([{ lr: 0.003 }, { lr: '3e-3' }])).toEqual([]);
    expect(diffConfigs([{ lr: '0.0030' }, { lr: 0.003 }])).toEqual([]);
  });

  it('counts a key missing in one run as a difference', () => {
    expect(diffConfigs([{ a: 1 }, { a: 1, b: true }])).toEqual([{ key: 'b', values: [undefined, true] }]);
  });

  it('shows a key when any of three runs differs', () => {
    const rows = diffConfigs([
      { k: 1, same: 'x' },
      { k: 1, same: 'x' },
      { k: 2, same: 'x' },
    ]);
    expect(rows).toEqual([{ key: 'k', values: [1, 1, 2] }]);
  });

  it('skips ignored keys and needs two runs to differ', () => {
    expect(diffConfigs([{ 'run-id': 'a' }, { 'run-id': 'b' }], ['run-id'])).toEqual([]);
    expect(diffConfigs([{ a: 1 }])).toEqual([]);
  });

  it('does not confuse empty strings, zero, false and null', () => {
    const rows = diffConfigs([
      { a: '', b: 0, c: false },
      { a: 0, b: false, c: null },
    ]);
    expect(rows.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });
});

import { describe, expect, it } from 'vitest';
import { buildMix, parseMix, shares, type MixRow } from './mix.js';

describe('data mixture strings', () => {
  it('builds the trainer syntax from rows', () => {
    const rows: MixRow[] = [
      { kind: 'synthetic', source: 'arithmetic', weight: '0.5' },
      { kind: 'file', source: '/data/web.u16', weight: ' 2 ' },
    ];
    expect(buildMix(rows)).toBe('synthetic:arithmetic=0.5,/data/web.u16=2');
  });

  it('parses a mixture back, splitting at the last = so paths may contain =', () => {
    expect(parseMix('synthetic:dyck=1,/d/a=b.u16=3')).toEqual([
      { kind: 'synthetic', source: 'dyck', weight: '1' },
      { kind: 'file', source: '/d/a=b.u16', weight: '3' },
    ]);
    expect(parseMix('')).toEqual([]);
    expect(parseMix('/d/x.u16')).toEqual([{ kind: 'file', source: '/d/x.u16', weight: '' }]);
  });

  it('round-trips', () => {
    const v = 'synthetic:copy=0.25,synthetic:grammar=0.75,/x/y.bin=1';
    expect(buildMix(parseMix(v))).toBe(v);
  });

  it('normalises weights into shares and leaves invalid ones out', () => {
    const rows: MixRow[] = [
      { kind: 'synthetic', source: 'copy', weight: '3' },
      { kind: 'synthetic', source: 'dyck', weight: '1' },
      { kind: 'synthetic', source: 'grammar', weight: 'x' },
      { kind: 'synthetic', source: 'arithmetic', weight: '-1' },
    ];
    expect(shares(rows)).toEqual([0.75, 0.25, null, null]);
    expect(shares([{ kind: 'file', source: 'a', weight: '0' }])).toEqual([null]);
  });
});

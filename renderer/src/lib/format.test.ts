import { describe, expect, it } from 'vitest';
import {
  firstSentence,
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatFlops,
  formatInteger,
  formatMoney,
  formatPercent,
  formatValue,
} from './format.js';

describe('formatting', () => {
  it('counts', () => {
    expect(formatCount(1939584)).toBe('1.94M');
    expect(formatCount(8_522_237_952)).toBe('8.52B');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(1000)).toBe('1k');
    expect(formatCount(null)).toBe('—');
    expect(formatInteger(1939584)).toBe('1,939,584');
  });

  it('bytes in binary units', () => {
    expect(formatBytes(1350666240)).toBe('1.26 GiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });

  it('FLOPs with SI prefixes', () => {
    expect(formatFlops(6525696)).toBe('6.53 MFLOP');
    expect(formatFlops(2.0046938112e13)).toBe('20 TFLOP');
  });

  it('durations', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
    expect(formatDuration(3 * 86400 + 3600)).toBe('3 d 1 h');
    expect(formatDuration(-1)).toBe('—');
  });

  it('money', () => {
    expect(formatMoney(0)).toBe('$0');
    expect(formatMoney(0.004)).toBe('<$0.01');
    expect(formatMoney(2.5)).toBe('$2.50');
    expect(formatMoney(1234.5)).toBe('$1,235');
  });

  it('metric values', () => {
    expect(formatValue(2.91234)).toBe('2.912');
    expect(formatValue(0.0003)).toBe('3e-4');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(null)).toBe('—');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatPercent(0.0213)).toBe('2.13%');
    expect(formatPercent(1, 2)).toBe('100%');
    expect(formatPercent(0.456, 2)).toBe('46%');
    expect(formatPercent(12.5, 3)).toBe('1250%');
  });

  it('ages', () => {
    expect(formatAge(1000, 1010)).toBe('just now');
    expect(formatAge(1000, 1000 + 600)).toBe('10 min ago');
    expect(formatAge(1000, 1000 + 7200)).toBe('2 h ago');
  });
});

describe('help text', () => {
  it('keeps the first sentence and shortens long ones at a word', () => {
    expect(firstSentence('Model width H (hidden_size). Must be even.')).toBe('Model width H (hidden_size).');
    expect(firstSentence('Run validation every N steps; 0 disables validation.')).toBe(
      'Run validation every N steps; 0 disables validation.',
    );
    expect(firstSentence('Start from a checkpoint (e.g. another run). Ignored later.')).toBe(
      'Start from a checkpoint (e.g. another run).',
    );
    expect(
      firstSentence('Training data: `synthetic` (built-in multi-domain corpus) or the path of a token file.'),
    ).toBe('Training data: `synthetic` (built-in multi-domain corpus) or the path of a token file.');
    const long = firstSentence('word '.repeat(40).trim() + '.');
    expect(long.endsWith('…')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(90);
    expect(firstSentence('e.g. 3.5 is fine')).toBe('e.g. 3.5 is fine');
  });
});

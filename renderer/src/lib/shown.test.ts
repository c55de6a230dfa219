import { describe, expect, it } from 'vitest';
import { shownName, shownText } from './shown.js';

describe('shown names and text', () => {
  it('neutralises bidi overrides and terminal escapes, one line for names', () => {
    expect(shownName('invoice\u202efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(shownName('esc\x1b]0;TITLE\x07\x1b[31mRED')).toBe('esc\\x1b]0;TITLE\\x07\\x1b[31mRED');
    expect(shownName('a\nb')).toBe('a\\x0ab');
    expect(shownText('line one\nline \u2067two')).toBe('line one\nline \\u2067two');
    expect(shownName('jetmoe-tiny 9a1f2c')).toBe('jetmoe-tiny 9a1f2c');
  });
});

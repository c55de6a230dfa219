import { describe, expect, it } from 'vitest';
import { escapeControls } from './display-text.js';

describe('escapeControls', () => {
  it('makes terminal escapes and bidi overrides visible, and keeps ordinary text', () => {
    expect(escapeControls('esc\x1b]0;TITLE\x07\x1b[31mRED')).toBe('esc\\x1b]0;TITLE\\x07\\x1b[31mRED');
    expect(escapeControls('evil\u202eexe.txt')).toBe('evil\\u202eexe.txt');
    expect(escapeControls('a\u2066b\u2069c\u200fd\u061ce')).toBe('a\\u2066b\\u2069c\\u200fd\\u061ce');
    expect(escapeControls('csi\u009bdel\u007fnul\u0000cr\r')).toBe('csi\\u009bdel\\u007fnul\\x00cr\\x0d');
    expect(escapeControls('two\nlines\tand tab')).toBe('two\nlines\tand tab');
    expect(escapeControls('two\nlines\tand tab', true)).toBe('two\\x0alines\\x09and tab');
    const ordinary = 'jetmoe-tiny r-20260101 — λ=0.1, 日本語, emoji 🙂, "quotes" \\ backslash';
    expect(escapeControls(ordinary, true)).toBe(ordinary);
  });

  it('leaves JSON text valid and equal to the original once parsed', () => {
    const value = { name: 'x\u202ey\u009b\u2028z', tags: ['\u001b[2J'] };
    const shown = escapeControls(JSON.stringify(value, null, 2));
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e]/);
    expect(JSON.parse(shown)).toEqual(value);
  });
});

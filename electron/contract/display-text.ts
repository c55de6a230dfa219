/**
 * Text from users and nodes (run names, tags, notes, node names, remote messages) shown in a
 * terminal or the UI. Control characters can retitle or recolour a terminal, clear it or move its
 * cursor; bidirectional formatting characters (U+202E and kin) reorder what is shown around them.
 * Both are made visible as escapes instead.
 */

// C0 controls but tab and newline, DEL and the C1 controls, the bidi embeddings, overrides, isolates
// and marks, and the line and paragraph separators. Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const unsafeOrLayout = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** One character as an escape: `\x1b` below U+0020, `\u202e` above (valid in JSON text too). */
function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with control and bidirectional formatting characters written as visible escapes (ESC as
 * `\x1b`, U+202E as `\u202e`). Newline and tab are kept unless `singleLine`, for a name or a tag.
 */
export function escapeControls(text: string, singleLine = false): string {
  return text.replace(singleLine ? unsafeOrLayout : unsafe, escapeChar);
}

import { escapeControls } from '../../../electron/contract/display-text.js';

/**
 * A run, node or checkpoint name or a tag as the UI shows it: React already escapes markup, and this
 * also shows control and bidirectional formatting characters (U+202E and kin) as visible escapes,
 * so a name cannot reorder or disguise the text around it. On one line.
 */
export const shownName = (text: string): string => escapeControls(text, true);

/** Notes and other free text as the UI shows them: the same, with line breaks kept. */
export const shownText = (text: string): string => escapeControls(text);

/** Colour scales for heatmaps, computed (no palette files) so both themes and any expert count work. */

type Rgb = [number, number, number];

// A perceptually even diverging scale: blue (under-used) → neutral (fair share) → orange-red (overloaded).
const cold: Rgb = [49, 104, 175];
const warm: Rgb = [203, 68, 42];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function hex([r, g, b]: Rgb): string {
  return (
    '#' +
    [r, g, b]
      .map((v) =>
        Math.round(Math.min(255, Math.max(0, v)))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/**
 * Colour for an expert's load relative to the fair share 1/E: ratio 1 is the neutral colour, 0 fully
 * cold, `maxRatio` and above fully warm. The log of the ratio is used so 0.5× and 2× look equally far.
 */
export function loadColor(ratio: number, neutral: Rgb, maxRatio = 3): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return hex(cold);
  const r = Math.log(ratio);
  if (r < 0) return hex(mix(neutral, cold, Math.min(1, -r / Math.log(maxRatio))));
  return hex(mix(neutral, warm, Math.min(1, r / Math.log(maxRatio))));
}

/** Relative luminance (WCAG) of a #rrggbb colour. */
export function luminance(color: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return 0;
  const ch = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h!, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * ch[0]! + 0.7152 * ch[1]! + 0.0722 * ch[2]!;
}

/** Black or white text, whichever reads better on a background. */
export function textOn(background: string): '#111111' | '#ffffff' {
  return luminance(background) > 0.35 ? '#111111' : '#ffffff';
}

/** Neutral (fair-share) colours of the two themes. */
export const neutralLight: Rgb = [240, 240, 236];
export const neutralDark: Rgb = [58, 62, 70];

/** Distinct line colours for compared runs (colour-blind-safe order). */
export const runColors = ['#2f6fb0', '#d55e00', '#009e73', '#cc79a7', '#b8860b', '#56b4e9', '#7a5195', '#666666'];

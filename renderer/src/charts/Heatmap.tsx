import { useTheme } from '../app/theme-context.js';
import { loadColor, textOn } from '../lib/color.js';

/** One row of a heatmap: a label and one value per column (null = no data). */
export interface HeatmapRow {
  label: string;
  values: (number | null)[];
  /** Columns to mark as dead (no tokens). */
  dead?: number[];
}

interface Props {
  title: string;
  rows: HeatmapRow[];
  columnLabel: (c: number) => string;
  /** Value of a perfectly even row (1/E for loads): the neutral colour. */
  fair: number;
  formatCell: (v: number) => string;
  testId?: string;
  /** Name of one cell for screen readers, e.g. "layer 2 expert 3". */
  describeCell: (row: number, col: number) => string;
}

const cellW = 50;
const cellH = 30;
const labelW = 76;
const headH = 20;

/**
 * A rows × columns grid coloured by value relative to the fair share: neutral when balanced, warm when
 * overloaded, cold when starved; dead cells are crossed out. Every cell carries its number as text (when
 * it fits) and as an accessible title, so colour is never the only way to read it.
 */
export function Heatmap({ title, rows, columnLabel, fair, formatCell, testId, describeCell }: Props) {
  const { palette } = useTheme();
  const cols = Math.max(0, ...rows.map((r) => r.values.length));
  const width = labelW + cols * cellW;
  const height = headH + rows.length * cellH;
  const filled = rows.reduce((n, r) => n + r.values.filter((v) => v !== null).length, 0);
  return (
    <figure className="heatmap" data-testid={testId} data-rows={rows.length} data-cols={cols} data-filled={filled}>
      <figcaption className="chart-title">{title}</figcaption>
      <svg
        role="img"
        aria-label={`${title}: ${rows.length} rows by ${cols} experts`}
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        className="heatmap-svg"
      >
        {Array.from({ length: cols }, (_, c) => (
          <text
            key={`h${c}`}
            x={labelW + c * cellW + cellW / 2}
            y={14}
            textAnchor="middle"
            fontSize={11}
            fill={palette.muted}
          >
            {columnLabel(c)}
          </text>
        ))}
        {rows.map((row, r) => (
          <g key={row.label}>
            <text
              x={labelW - 8}
              y={headH + r * cellH + cellH / 2 + 4}
              textAnchor="end"
              fontSize={11}
              fill={palette.muted}
            >
              {row.label}
            </text>
            {row.values.map((v, c) => {
              const x = labelW + c * cellW;
              const y = headH + r * cellH;
              const dead = row.dead?.includes(c) ?? false;
              const fill = v === null ? palette.grid : loadColor(fair > 0 ? v / fair : 1, palette.neutral);
              const label = v === null ? 'no data' : `${formatCell(v)}${dead ? ', dead' : ''}`;
              return (
                <g key={c} data-cell={`${r}:${c}`}>
                  <rect x={x + 1} y={y + 1} width={cellW - 2} height={cellH - 2} rx={3} fill={fill}>
                    <title>{`${describeCell(r, c)}: ${label}`}</title>
                  </rect>
                  {v !== null && (
                    <text
                      x={x + cellW / 2}
                      y={y + cellH / 2 + 4}
                      textAnchor="middle"
                      fontSize={10}
                      fill={textOn(fill)}
                      pointerEvents="none"
                    >
                      {formatCell(v)}
                    </text>
                  )}
                  {dead && (
                    <line
                      x1={x + 4}
                      y1={y + cellH - 4}
                      x2={x + cellW - 4}
                      y2={y + 4}
                      stroke={palette.text}
                      strokeWidth={1.5}
                      pointerEvents="none"
                    />
                  )}
                </g>
              );
            })}
          </g>
        ))}
      </svg>
    </figure>
  );
}

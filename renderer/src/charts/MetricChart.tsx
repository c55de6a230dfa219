import { useMemo, useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useTheme } from '../app/theme-context.js';
import { forLogAxis, formatX, logTicks, niceTicks, timeOrigin, xOf, yDomain, type XMode } from '../lib/axis.js';
import { emaSmooth } from '../lib/ema.js';
import { formatValue } from '../lib/format.js';
import { duplicateSteps, type ChartPoint } from '../lib/series.js';

/** One line of a chart: a run's series. */
export interface ChartLine {
  key: string;
  label: string;
  color?: string;
  points: ChartPoint[];
  /** 'raw' points or reduced 'buckets' (then a min/max band can be drawn). */
  mode: 'raw' | 'buckets' | null;
}

/** How a chart draws its lines. */
export interface ChartView {
  xMode: XMode;
  yLog: boolean;
  xLog: boolean;
  /** EMA weight in [0, 1); 0 = no smoothing. */
  smoothing: number;
}

type Row = Record<string, number | null | [number, number] | undefined> & { x: number };

interface Props {
  title: string;
  lines: ChartLine[];
  view: ChartView;
  /** The zoomed x range, or null. */
  xRange: [number, number] | null;
  onZoom?: (x0: number, x1: number) => void;
  onReset?: () => void;
  height?: number;
  /** Formats y values (ticks and tooltip). */
  yFormat?: (v: number) => string;
  testId?: string;
  empty?: string;
}

/** Builds one row per x value across all lines (the tooltip then shows every run at that x). */
function buildRows(lines: ChartLine[], view: ChartView): { rows: Row[]; values: (number | null)[] } {
  const byX = new Map<number, Row>();
  const values: (number | null)[] = [];
  for (const line of lines) {
    const t0 = timeOrigin(line.points);
    const smooth = view.smoothing > 0 ? emaSmooth(line.points, view.smoothing) : null;
    const band = line.mode === 'buckets' && lines.length === 1;
    line.points.forEach((p, i) => {
      const x = xOf(p, view.xMode, t0);
      if (x === null || (view.xLog && x <= 0)) return;
      let row = byX.get(x);
      if (!row) {
        row = { x } as Row;
        byX.set(x, row);
      }
      const y = view.yLog ? forLogAxis(p.y) : p.y;
      row[`${line.key}:raw`] = y;
      const s = smooth ? smooth[i]! : y;
      row[line.key] = view.yLog ? forLogAxis(s) : s;
      values.push(row[line.key] as number | null);
      if (band && p.min !== null && p.max !== null && p.count > 1) {
        const lo = view.yLog ? forLogAxis(p.min) : p.min;
        const hi = view.yLog ? forLogAxis(p.max) : p.max;
        if (lo !== null && hi !== null) {
          row[`${line.key}:band`] = [lo, hi];
          values.push(lo, hi);
        }
      }
      if (!smooth) return;
      values.push(y);
    });
  }
  return { rows: [...byX.values()].sort((a, b) => a.x - b.x), values };
}

/**
 * A metric chart: lines per run, optional EMA smoothing over the faint raw line, a min/max band when the
 * services reduced the series, log axes, and drag-to-zoom (double-click resets). The container carries
 * what it renders as data attributes (point count, last step, duplicated steps) for tests and tools.
 */
export function MetricChart({
  title,
  lines,
  view,
  xRange,
  onZoom,
  onReset,
  height = 220,
  yFormat = (v) => formatValue(v, 3),
  testId,
  empty,
}: Props) {
  const { palette } = useTheme();
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const { rows, values } = useMemo(() => buildRows(lines, view), [lines, view]);
  const domain = useMemo(() => yDomain(values, view.yLog), [values, view.yLog]);
  const primary = lines[0];
  const count = primary?.points.length ?? 0;
  const hasData = rows.length > 0;
  const xDomain: [number | string, number | string] = xRange ?? ['dataMin', 'dataMax'];
  const yTicks = domain
    ? view.yLog
      ? logTicks(domain[0], domain[1])
      : niceTicks(domain[0], domain[1], Math.max(3, Math.round(height / 50)))
    : undefined;
  const xTicks =
    !view.xLog && !xRange && rows.length > 1 ? niceTicks(rows[0]!.x, rows[rows.length - 1]!.x, 6) : undefined;

  return (
    <figure
      className="chart"
      data-testid={testId}
      data-series={title}
      data-points={count}
      data-last-step={primary?.points.at(-1)?.step ?? ''}
      data-duplicates={primary ? duplicateSteps(primary.points) : 0}
      data-mode={primary?.mode ?? ''}
      aria-label={`${title} chart`}
      onDoubleClick={() => {
        setDrag(null);
        onReset?.();
      }}
      // The second press of a double-click resets too: while a run is live the chart redraws under the
      // pointer between the two clicks, and a press whose element is gone may never become a dblclick.
      onMouseDown={(e) => {
        if (e.detail !== 2) return;
        setDrag(null);
        onReset?.();
      }}
    >
      <figcaption className="chart-title">
        <span>{title}</span>
        {lines.length === 1 && primary?.points.length ? (
          <span className="chart-latest" aria-label={`latest ${title}`}>
            {yFormat(primary.points.at(-1)!.y ?? Number.NaN)}
          </span>
        ) : null}
        {lines.length > 1 && (
          <span className="chart-legend" aria-label="Lines">
            {lines.map((line, i) => (
              <span key={line.key} className="legend-item">
                <svg width="14" height="6" aria-hidden="true">
                  <line
                    x1="0"
                    y1="3"
                    x2="14"
                    y2="3"
                    stroke={line.color ?? palette.series[i % palette.series.length]}
                    strokeWidth="2.5"
                  />
                </svg>
                {line.label}
              </span>
            ))}
          </span>
        )}
        {xRange && onReset && (
          <button type="button" className="link-button" onClick={onReset}>
            Reset zoom
          </button>
        )}
      </figcaption>
      {!hasData ? (
        <div className="chart-empty" style={{ height }}>
          {empty ?? 'No points yet'}
        </div>
      ) : (
        <div className="chart-body" style={{ height }}>
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart
              data={rows}
              margin={{ top: 6, right: 12, bottom: 0, left: 0 }}
              onMouseDown={(s) => {
                if (onZoom && s?.activeLabel !== undefined)
                  setDrag({ a: Number(s.activeLabel), b: Number(s.activeLabel) });
              }}
              onMouseMove={(s) => {
                // Only a new x redraws the selection (mouse moves within one point's column are frequent).
                if (drag && s?.activeLabel !== undefined && Number(s.activeLabel) !== drag.b)
                  setDrag({ ...drag, b: Number(s.activeLabel) });
              }}
              onMouseUp={() => {
                if (drag && onZoom && drag.a !== drag.b) onZoom(Math.min(drag.a, drag.b), Math.max(drag.a, drag.b));
                setDrag(null);
              }}
            >
              <CartesianGrid stroke={palette.grid} vertical={false} />
              <XAxis
                dataKey="x"
                type="number"
                scale={view.xLog ? 'log' : 'linear'}
                domain={xDomain}
                allowDataOverflow
                {...(xTicks && xTicks.length > 1 ? { ticks: xTicks } : {})}
                tickFormatter={(v: number) => formatX(v, view.xMode)}
                stroke={palette.muted}
                tick={{ fill: palette.muted, fontSize: 11 }}
                minTickGap={28}
              />
              <YAxis
                scale={view.yLog ? 'log' : 'linear'}
                domain={domain ?? ['auto', 'auto']}
                allowDataOverflow
                {...(yTicks && yTicks.length > 1 ? { ticks: yTicks } : {})}
                tickFormatter={(v: number) => yFormat(v)}
                stroke={palette.muted}
                tick={{ fill: palette.muted, fontSize: 11 }}
                width={56}
              />
              <Tooltip
                isAnimationActive={false}
                contentStyle={{
                  background: palette.panel,
                  border: `1px solid ${palette.grid}`,
                  color: palette.text,
                  fontSize: 12,
                }}
                labelFormatter={(x) => `${view.xMode} ${formatX(Number(x), view.xMode)}`}
                formatter={(v, name) => {
                  if (Array.isArray(v)) return [`${yFormat(Number(v[0]))} – ${yFormat(Number(v[1]))}`, 'min – max'];
                  return [yFormat(Number(v)), String(name)];
                }}
              />
              {lines.map((line, i) => {
                const color = line.color ?? palette.series[i % palette.series.length]!;
                const band = line.mode === 'buckets' && lines.length === 1;
                return [
                  band ? (
                    <Area
                      key={`${line.key}:band`}
                      dataKey={`${line.key}:band`}
                      name="min – max"
                      stroke="none"
                      fill={color}
                      fillOpacity={0.16}
                      isAnimationActive={false}
                      connectNulls
                      activeDot={false}
                    />
                  ) : null,
                  view.smoothing > 0 ? (
                    <Line
                      key={`${line.key}:raw`}
                      dataKey={`${line.key}:raw`}
                      name={`${line.label} (raw)`}
                      stroke={color}
                      strokeOpacity={0.35}
                      strokeWidth={1}
                      dot={false}
                      activeDot={false}
                      isAnimationActive={false}
                      connectNulls
                      legendType="none"
                    />
                  ) : null,
                  <Line
                    key={line.key}
                    dataKey={line.key}
                    name={line.label}
                    stroke={color}
                    strokeWidth={1.6}
                    dot={line.points.length < 30 ? { r: 2 } : false}
                    isAnimationActive={false}
                    connectNulls
                  />,
                ];
              })}
              {drag && drag.a !== drag.b && (
                <ReferenceArea x1={drag.a} x2={drag.b} fill={palette.accent} fillOpacity={0.12} />
              )}
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalSeries, LeaderboardColumn } from '../../../../electron/contract/evals.js';
import { useTheme } from '../../app/theme-context.js';
import { formatCount, formatValue } from '../../lib/format.js';

type Row = Record<string, number | null> & { x: number };

/**
 * One score against training tokens, a line per run, with the published scores of reference models
 * (JetMoE-8B) as labelled horizontal lines. The figure carries its point and reference counts for tests.
 */
export function EvalChart({
  column,
  series,
  references,
}: {
  column: LeaderboardColumn;
  series: EvalSeries[];
  references: { model: string; label: string; value: number }[];
}) {
  const { palette } = useTheme();
  // Tokens when every point has them, else steps (the x of a run without token counts).
  const byTokens = series.every((s) => s.points.every((p) => p.tokens !== null));
  const rows = new Map<number, Row>();
  for (const s of series) {
    for (const p of s.points) {
      if (p.value === null) continue;
      const x = byTokens ? p.tokens! : p.step;
      const row = rows.get(x) ?? ({ x } as Row);
      row[s.runId] = p.value;
      rows.set(x, row);
    }
  }
  const data = [...rows.values()].sort((a, b) => a.x - b.x);
  const values = [
    ...data.flatMap((r) => series.map((s) => r[s.runId]).filter((v): v is number => typeof v === 'number')),
    ...references.map((r) => r.value),
  ];
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 0.1;
  const points = series.reduce((n, s) => n + s.points.filter((p) => p.value !== null).length, 0);
  const title = `${column.task} ${column.metric}`;
  return (
    <figure className="chart" aria-label={`${title} chart`} data-points={points} data-references={references.length}>
      <figcaption className="chart-title">
        <span>{title}</span>
        <span className="muted small">
          by {byTokens ? 'training tokens' : 'step'} · {column.higherIsBetter ? 'higher is better' : 'lower is better'}
        </span>
        {series.length > 1 && (
          <span className="chart-legend" aria-label="Lines">
            {series.map((s, i) => (
              <span key={s.runId} className="legend-item">
                <svg width="14" height="6" aria-hidden="true">
                  <line
                    x1="0"
                    y1="3"
                    x2="14"
                    y2="3"
                    stroke={palette.series[i % palette.series.length]}
                    strokeWidth="2.5"
                  />
                </svg>
                {s.runName}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      {data.length === 0 ? (
        <div className="chart-empty eval-empty">No scores yet</div>
      ) : (
        <div className="chart-body eval-body">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 14, right: 16, bottom: 0, left: 0 }}>
              <CartesianGrid stroke={palette.grid} vertical={false} />
              <XAxis
                dataKey="x"
                type="number"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(v: number) => formatCount(v)}
                stroke={palette.muted}
                tick={{ fill: palette.muted, fontSize: 11 }}
              />
              <YAxis
                domain={[lo - pad, hi + pad]}
                tickFormatter={(v: number) => formatValue(v, 3)}
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
                labelFormatter={(x) => `${byTokens ? 'tokens' : 'step'} ${formatCount(Number(x))}`}
                formatter={(v, name) => [
                  formatValue(Number(v)),
                  series.find((s) => s.runId === name)?.runName ?? String(name),
                ]}
              />
              {references.map((r) => (
                <ReferenceLine
                  key={r.model}
                  y={r.value}
                  stroke={palette.muted}
                  strokeDasharray="5 4"
                  ifOverflow="extendDomain"
                  label={{
                    value: `${r.label}: ${formatValue(r.value, 3)}`,
                    position: 'insideTopLeft',
                    fill: palette.muted,
                    fontSize: 11,
                  }}
                />
              ))}
              {series.map((s, i) => (
                <Line
                  key={s.runId}
                  dataKey={s.runId}
                  name={s.runId}
                  stroke={palette.series[i % palette.series.length]}
                  strokeWidth={1.8}
                  dot={{ r: 3 }}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

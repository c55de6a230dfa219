import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { PlanOk } from '../../../../electron/contract/config.js';
import { useTheme } from '../../app/theme-context.js';
import { formatX, niceTicks } from '../../lib/axis.js';
import { formatValue } from '../../lib/format.js';

/** The learning-rate schedule exactly as the trainer will follow it, with its three phases marked. */
export function LrCurve({ plan }: { plan: PlanOk }) {
  const { palette } = useTheme();
  if (!plan.lrCurve || !plan.lrCurve.length)
    return <p className="hint small">No schedule curve from this trainer build.</p>;
  const data = plan.lrCurve.map(([step, lr]) => ({ step, lr }));
  const s = plan.schedule;
  const end = plan.totalSteps ?? data[data.length - 1]!.step;
  const top = Math.max(...data.map((d) => d.lr));
  const yTicks = niceTicks(0, top, 4);
  const xTicks = niceTicks(0, end, 6);
  const phase2 = s?.phase2StartStep ?? null;
  return (
    <figure
      className="chart"
      data-testid="lr-curve"
      data-points={data.length}
      data-phase2-start={phase2 ?? undefined}
      aria-label="Learning-rate schedule chart"
    >
      <figcaption className="chart-title">
        <span>Learning rate by step</span>
        {s && (
          <span className="muted small">
            warmup {s.warmupSteps} · stable to {s.decayStartStep} · {s.decayForm} decay {s.decaySteps} steps
            {phase2 !== null && ` · data phase 2 after step ${phase2}`}
          </span>
        )}
      </figcaption>
      <div className="chart-body lr-body">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke={palette.grid} vertical={false} />
            {s && s.warmupSteps > 0 && (
              <ReferenceArea
                x1={0}
                x2={s.warmupSteps}
                fill={palette.accent}
                fillOpacity={0.08}
                label={{ value: 'warmup', fill: palette.muted, fontSize: 10, position: 'insideTop' }}
              />
            )}
            {s && s.decaySteps > 0 && (
              <ReferenceArea
                x1={s.decayStartStep}
                x2={end}
                fill={palette.series[1]}
                fillOpacity={0.08}
                label={{ value: 'decay', fill: palette.muted, fontSize: 10, position: 'insideTop' }}
              />
            )}
            {phase2 !== null && (
              <ReferenceLine
                x={phase2}
                stroke={palette.series[2] ?? palette.accent}
                strokeDasharray="4 3"
                label={{ value: 'phase 2', fill: palette.muted, fontSize: 10, position: 'insideTopRight' }}
              />
            )}
            <XAxis
              dataKey="step"
              type="number"
              domain={[0, end]}
              ticks={xTicks}
              tickFormatter={(v: number) => formatX(v, 'step')}
              stroke={palette.muted}
              tick={{ fill: palette.muted, fontSize: 11 }}
            />
            <YAxis
              domain={[0, top * 1.05]}
              ticks={yTicks}
              tickFormatter={(v: number) => formatValue(v, 2)}
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
              labelFormatter={(x) => `step ${String(x)}`}
              formatter={(v) => [formatValue(Number(v), 4), 'lr']}
            />
            <Line dataKey="lr" stroke={palette.accent} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

import { useState } from 'react';
import { ChartToolbar } from '../../charts/ChartToolbar.js';
import { RunChart, type Zoom } from '../../charts/RunChart.js';
import { useChartView } from '../../charts/view-state.js';
import { stepRangeForX, timeOrigin } from '../../lib/axis.js';
import { formatCount, formatPercent, formatValue } from '../../lib/format.js';
import type { ChartPoint } from '../../lib/series.js';

/** The training metrics of a run, by series name, with how to show them. */
export const trainingSeries: {
  series: string;
  title: string;
  format?: (v: number) => string;
  empty?: string;
  smooth?: false;
}[] = [
  { series: 'train/loss', title: 'Loss' },
  { series: 'val/loss', title: 'Validation loss', empty: 'No validation yet (--val-every)', smooth: false },
  { series: 'train/lr', title: 'Learning rate', format: (v) => formatValue(v, 3), smooth: false },
  { series: 'train/grad_norm', title: 'Gradient norm' },
  { series: 'train/tokens_per_s', title: 'Tokens/s', format: (v) => formatCount(v) },
  { series: 'train/mfu', title: 'MFU', format: (v) => formatPercent(v, 3), empty: 'MFU unknown for this device' },
  { series: 'train/aux_loss', title: 'Aux (balance) loss' },
  { series: 'train/z_loss', title: 'Router z-loss' },
];

/** The training charts of one run, sharing axis options and zoom. */
export function TrainingCharts({
  runId,
  live,
  maxPointsOverride,
}: {
  runId: string;
  live: boolean;
  maxPointsOverride?: number;
}) {
  const [view, setView] = useChartView();
  const [zoom, setZoom] = useState<Zoom | null>(null);
  const onZoom = (x0: number, x1: number, points: ChartPoint[]): void => {
    const steps = stepRangeForX(points, view.xMode, timeOrigin(points), x0, x1);
    if (steps) setZoom({ x: [x0, x1], steps });
  };
  return (
    <section aria-label="Training metrics">
      <div className="section-bar">
        <ChartToolbar
          view={view}
          onChange={(v) => {
            if (v.xMode !== view.xMode) setZoom(null);
            setView(v);
          }}
        />
        <p className="hint small">Drag across a chart to zoom, double-click to reset.</p>
      </div>
      <div className="chart-grid">
        {trainingSeries.map((s) => (
          <RunChart
            key={s.series}
            runId={runId}
            series={s.series}
            title={s.title}
            view={s.smooth === false ? { ...view, smoothing: 0 } : view}
            zoom={zoom}
            live={live}
            onZoom={onZoom}
            onReset={() => setZoom(null)}
            {...(s.format ? { yFormat: s.format } : {})}
            {...(s.empty ? { empty: s.empty } : {})}
            {...(maxPointsOverride ? { maxPointsOverride } : {})}
          />
        ))}
      </div>
    </section>
  );
}

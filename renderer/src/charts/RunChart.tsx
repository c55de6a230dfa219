import { useMemo } from 'react';
import { useWidth } from '../app/hooks.js';
import type { ChartPoint } from '../lib/series.js';
import { MetricChart, type ChartView } from './MetricChart.js';
import { useSeries } from './use-series.js';

/** A zoom shared by a grid of charts: the x range shown and the step range fetched. */
export interface Zoom {
  x: [number, number];
  steps: [number, number];
}

interface Props {
  runId: string;
  series: string;
  title: string;
  view: ChartView;
  zoom: Zoom | null;
  live: boolean;
  onZoom: (x0: number, x1: number, points: ChartPoint[]) => void;
  onReset: () => void;
  yFormat?: (v: number) => string;
  empty?: string;
  /** Ask for every raw point regardless of width (benchmarks only). */
  maxPointsOverride?: number;
}

/** One series of one run as a live chart, sized to its container: the services reduce it to that width. */
export function RunChart({
  runId,
  series,
  title,
  view,
  zoom,
  live,
  onZoom,
  onReset,
  yFormat,
  empty,
  maxPointsOverride,
}: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const maxPoints = maxPointsOverride ?? Math.max(100, Math.round(width));
  const s = useSeries(runId, series, { maxPoints, range: zoom?.steps ?? null, live, enabled: width > 0 });
  // A stable line object: the chart recomputes its rows (and the EMA) only when the points change.
  const lines = useMemo(() => [{ key: 'v', label: title, points: s.points, mode: s.mode }], [title, s.points, s.mode]);
  return (
    <div ref={ref} className="chart-cell">
      <MetricChart
        title={title}
        testId={`chart-${series}`}
        lines={lines}
        view={view}
        xRange={zoom?.x ?? null}
        onZoom={(x0, x1) => onZoom(x0, x1, s.points)}
        onReset={onReset}
        {...(yFormat ? { yFormat } : {})}
        empty={s.error ? s.error.message : s.loading ? 'Loading…' : empty}
      />
    </div>
  );
}

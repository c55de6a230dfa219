import { useEffect, useState } from 'react';
import { useApi } from '../app/api-context.js';
import { useTheme } from '../app/theme-context.js';
import { formatValue } from '../lib/format.js';
import { toChartPoints, type ChartPoint } from '../lib/series.js';

const width = 160;
const height = 36;

/** The shape of one series of a run at a glance (reduced to a hundred points by the services). */
export function Sparkline({
  runId,
  series = 'train/loss',
  label = 'loss',
  refreshKey,
}: {
  runId: string;
  series?: string;
  label?: string;
  refreshKey?: number | null;
}) {
  const api = useApi();
  const { palette } = useTheme();
  const [points, setPoints] = useState<ChartPoint[] | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('metrics:series', { runId, series, maxPoints: 100 }).then(
      (d) => live && setPoints(toChartPoints(d)),
      () => live && setPoints([]),
    );
    return () => {
      live = false;
    };
  }, [api, runId, series, refreshKey]);
  const ys = (points ?? []).map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y));
  if (!points || ys.length < 2)
    return <span className="sparkline-empty muted small">{points ? `no ${label} yet` : ''}</span>;
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const x0 = points[0]!.step;
  const x1 = points[points.length - 1]!.step;
  const sx = (s: number): number => (x1 === x0 ? 0 : ((s - x0) / (x1 - x0)) * (width - 2) + 1);
  const sy = (y: number): number => (hi === lo ? height / 2 : height - 2 - ((y - lo) / (hi - lo)) * (height - 4));
  const path = points
    .filter((p) => p.y !== null && Number.isFinite(p.y))
    .map((p, i) => `${i ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.y!).toFixed(1)}`)
    .join('');
  const first = ys[0]!;
  const last = ys[ys.length - 1]!;
  return (
    <span className="sparkline">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${label} from ${formatValue(first)} to ${formatValue(last)}`}
      >
        <path d={path} fill="none" stroke={palette.accent} strokeWidth={1.5} />
      </svg>
      <span className="sparkline-value mono">{formatValue(last, 3)}</span>
    </span>
  );
}

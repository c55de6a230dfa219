import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../app/api-context.js';
import { useEvent } from '../app/hooks.js';
import { toChartPoints, type ChartPoint } from '../lib/series.js';

/** One series of several runs (for overlays), re-read when any of them logs new points. */
export function useMultiSeries(
  runIds: string[],
  series: string,
  maxPoints: number,
  enabled: boolean,
): Map<string, { points: ChartPoint[]; mode: 'raw' | 'buckets' }> {
  const api = useApi();
  const [data, setData] = useState(new Map<string, { points: ChartPoint[]; mode: 'raw' | 'buckets' }>());
  const key = runIds.join(',');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const load = useCallback(() => {
    const ids = key ? key.split(',') : [];
    void Promise.all(
      ids.map((runId) =>
        api.invoke('metrics:series', { runId, series, maxPoints }).then(
          (d) => [runId, { points: toChartPoints(d), mode: d.mode }] as const,
          () => [runId, { points: [] as ChartPoint[], mode: 'raw' as const }] as const,
        ),
      ),
    ).then((pairs) => setData(new Map(pairs)));
  }, [api, key, series, maxPoints]);
  useEffect(() => {
    if (enabled) load();
  }, [enabled, load]);
  useEvent('metrics:appended', (e) => {
    if (!enabled || !runIds.includes(e.runId) || !(series in e.latest) || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      load();
    }, 2000);
  });
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return data;
}

import { useEffect, useRef, useState } from 'react';
import { WorkbenchError } from '../../../electron/contract/errors.js';
import { useApi } from '../app/api-context.js';
import { useEvent } from '../app/hooks.js';
import type { ChartPoint } from '../lib/series.js';
import { SeriesSync } from '../lib/series-sync.js';

/** What a chart holds for one series of one run. */
export interface SeriesState {
  points: ChartPoint[];
  mode: 'raw' | 'buckets' | null;
  loading: boolean;
  error: WorkbenchError | null;
}

/** Options of useSeries. */
export interface SeriesOptions {
  /** About the chart's width in pixels: the services reduce longer ranges to this many buckets. */
  maxPoints: number;
  /** A zoomed step range, or null for everything. */
  range: [number, number] | null;
  /** Follow `metrics:appended` for this run (and a slow fallback poll) while true. */
  live: boolean;
  /** Skip fetching (e.g. chart not measured yet). */
  enabled?: boolean;
}

const fallbackPollMs = 15_000;

/**
 * One series of one run, reduced by the services to about maxPoints and kept current while the run is
 * live (see SeriesSync for how reads are ordered so points are never doubled or lost).
 */
export function useSeries(runId: string, series: string, opts: SeriesOptions): SeriesState {
  const api = useApi();
  const [state, setState] = useState<SeriesState>({ points: [], mode: null, loading: true, error: null });
  const { maxPoints, range, live } = opts;
  const enabled = (opts.enabled ?? true) && maxPoints >= 1;
  const from = range?.[0];
  const to = range?.[1];
  const sync = useRef<SeriesSync | null>(null);

  // One synchroniser per run and series.
  useEffect(() => {
    const s = new SeriesSync(
      (r) => api.invoke('metrics:series', { runId, series, ...r }),
      {
        commit: (points, mode) => setState({ points, mode, loading: false, error: null }),
        fail: (err) =>
          setState((st) => ({
            ...st,
            loading: false,
            error: err instanceof WorkbenchError ? err : new WorkbenchError({ code: 'internal', message: String(err) }),
          })),
      },
      { maxPoints, from, to },
      (err) => err instanceof WorkbenchError && err.code === 'not_found',
    );
    sync.current = s;
    return () => {
      s.dispose();
      if (sync.current === s) sync.current = null;
    };
    // Width and zoom are applied by the effect below (the values here are only the first ones);
    // a new synchroniser only for a new run or series.
  }, [api, runId, series]);

  useEffect(() => {
    if (!enabled || !sync.current) return;
    setState((s) => ({ ...s, loading: true }));
    void sync.current.reset({ maxPoints, from, to });
  }, [runId, series, maxPoints, from, to, enabled]);

  const following = live && enabled && range === null;
  useEvent('metrics:appended', (e) => {
    if (following && e.runId === runId && series in e.latest) void sync.current?.newer();
  });
  useEffect(() => {
    if (!following) return;
    const t = setInterval(() => void sync.current?.newer(), fallbackPollMs);
    return () => clearInterval(t);
  }, [following]);

  return state;
}

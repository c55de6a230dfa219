import { useCallback, useEffect, useRef, useState } from 'react';
import { WorkbenchError } from '../../../electron/contract/errors.js';
import { useApi } from '../app/api-context.js';
import { useEvent } from '../app/hooks.js';
import { lastStep, mergePoints, toChartPoints, type ChartPoint } from '../lib/series.js';

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
  /** Skip fetching (e.g. chart not visible yet). */
  enabled?: boolean;
}

const fallbackPollMs = 15_000;

/**
 * One series of one run, reduced by the services to about maxPoints, kept current while the run is
 * live. New points are fetched incrementally (from the newest step held) and merged by step, so an
 * event that races a reload, or a socket that reconnects and replays, never duplicates a point.
 */
export function useSeries(runId: string, series: string, opts: SeriesOptions): SeriesState {
  const api = useApi();
  const [state, setState] = useState<SeriesState>({ points: [], mode: null, loading: true, error: null });
  const held = useRef<SeriesState>(state);
  held.current = state;
  const inflight = useRef(false);
  const again = useRef(false);
  const generation = useRef(0);
  const { maxPoints, range, live } = opts;
  const enabled = opts.enabled ?? true;
  const from = range?.[0];
  const to = range?.[1];

  const fetchFull = useCallback(async () => {
    const gen = ++generation.current;
    try {
      const data = await api.invoke('metrics:series', {
        runId,
        series,
        maxPoints,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
      if (gen !== generation.current) return;
      setState({ points: toChartPoints(data), mode: data.mode, loading: false, error: null });
    } catch (err) {
      if (gen !== generation.current) return;
      const e = err instanceof WorkbenchError ? err : new WorkbenchError({ code: 'internal', message: String(err) });
      // A series that does not exist yet (a run that has just started) is simply empty.
      if (e.code === 'not_found') setState({ points: [], mode: null, loading: false, error: null });
      else setState((s) => ({ ...s, loading: false, error: e }));
    }
  }, [api, runId, series, maxPoints, from, to]);

  const fetchNewer = useCallback(async () => {
    if (inflight.current) {
      again.current = true;
      return;
    }
    inflight.current = true;
    try {
      do {
        again.current = false;
        const held0 = held.current;
        const after = lastStep(held0.points);
        if (held0.mode === 'buckets' || after === null) {
          await fetchFull();
          continue;
        }
        const gen = generation.current;
        const room = maxPoints - held0.points.length;
        const data = await api.invoke('metrics:series', { runId, series, from: after + 1, maxPoints: Math.max(room, 1) });
        if (gen !== generation.current) continue;
        if (data.mode === 'buckets') {
          // Too many new points to show raw: let the services reduce the whole range again.
          await fetchFull();
          continue;
        }
        const fresh = toChartPoints(data);
        if (fresh.length) setState((s) => ({ ...s, points: mergePoints(s.points, fresh), mode: 'raw', loading: false }));
      } while (again.current);
    } catch {
      // A failed incremental read is retried by the next event or the fallback poll.
    } finally {
      inflight.current = false;
    }
  }, [api, runId, series, maxPoints, fetchFull]);

  useEffect(() => {
    if (!enabled || maxPoints < 1) return;
    setState((s) => ({ ...s, loading: true }));
    void fetchFull();
  }, [enabled, fetchFull, maxPoints]);

  const following = live && enabled && range === null;
  useEvent('metrics:appended', (e) => {
    if (!following || e.runId !== runId) return;
    if (!(series in e.latest)) return;
    void fetchNewer();
  });
  useEffect(() => {
    if (!following) return;
    const t = setInterval(() => void fetchNewer(), fallbackPollMs);
    return () => clearInterval(t);
  }, [following, fetchNewer]);

  return state;
}

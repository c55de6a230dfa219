import { useEffect, useRef, useState } from 'react';
import type { EventMap, EventName } from '../../../electron/contract/events.js';
import type { NodeProfile } from '../../../electron/contract/nodes.js';
import type { RunSummary } from '../../../electron/contract/runs.js';
import type { Settings } from '../../../electron/contract/settings.js';
import { useApi } from './api-context.js';

/** Subscribes to a push event while the component is mounted; the handler may change freely. */
export function useEvent<E extends EventName>(event: E, handler: (payload: EventMap[E]) => void): void {
  const api = useApi();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => api.subscribe(event, (p) => ref.current(p)), [api, event]);
}

/** The run list, kept current by `runs:changed` events. */
export function useRuns(): { runs: RunSummary[] | null; error: Error | null } {
  const api = useApi();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('runs:list', {}).then(
      (r) => live && setRuns(r),
      (e: unknown) => live && setError(e as Error),
    );
    return () => {
      live = false;
    };
  }, [api]);
  useEvent('runs:changed', ({ run }) =>
    setRuns((prev) => {
      if (!prev) return prev;
      const i = prev.findIndex((r) => r.id === run.id);
      if (i < 0) return [run, ...prev];
      const next = [...prev];
      next[i] = run;
      return next;
    }),
  );
  // Steps move faster than states: follow them from the metrics events.
  useEvent('metrics:appended', (e) => {
    if (e.toStep === null) return;
    const to = e.toStep;
    setRuns(
      (prev) => prev?.map((r) => (r.id === e.runId && (r.lastStep ?? -1) < to ? { ...r, lastStep: to } : r)) ?? prev,
    );
  });
  return { runs, error };
}

/** The node profiles, kept current by `nodes:changed`. */
export function useNodes(): NodeProfile[] | null {
  const api = useApi();
  const [nodes, setNodes] = useState<NodeProfile[] | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('nodes:list', {}).then(
      (n) => live && setNodes(n),
      () => live && setNodes([]),
    );
    return () => {
      live = false;
    };
  }, [api]);
  useEvent('nodes:changed', ({ nodes: n }) => setNodes(n));
  return nodes;
}

/** The workbench settings, kept current by `settings:changed`. */
export function useSettings(): Settings | null {
  const api = useApi();
  const [settings, setSettings] = useState<Settings | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('settings:get', {}).then(
      (s) => live && setSettings(s),
      () => live && setSettings({ gpuHourPrice: {} }),
    );
    return () => {
      live = false;
    };
  }, [api]);
  useEvent('settings:changed', setSettings);
  return settings;
}

/** The value, updated at most once per `ms` (the last value always lands). */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

/** Seconds since the epoch, ticking every `ms` (for ages and elapsed times). */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now() / 1000), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The width of an element, following resizes. */
export function useWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number] {
  const ref = useRef<T | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

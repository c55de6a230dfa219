import { z } from 'zod';
import { channel, event } from './define.js';

/** A series of a run with its extent. */
export interface SeriesInfo {
  name: string;
  firstStep: number;
  lastStep: number;
  lastValue: number | null;
}

/** One stored point; `value` null = the trainer logged a non-finite number. */
export interface MetricPoint {
  step: number;
  value: number | null;
  tokens: number | null;
  time: number | null;
  attempt: number;
}

/** Min, max and last value of the points in one step bucket (one pixel column of a chart). */
export interface MetricBucket {
  stepMin: number;
  stepMax: number;
  min: number | null;
  max: number | null;
  last: number | null;
  lastStep: number;
  /** Tokens and time of the point at lastStep, so charts can plot buckets against tokens or time. */
  lastTokens: number | null;
  lastTime: number | null;
  count: number;
}

/** Answer of `metrics:series`: raw points when the range holds at most maxPoints, else buckets. */
export type SeriesData =
  | { runId: string; series: string; mode: 'raw'; points: MetricPoint[] }
  | { runId: string; series: string; mode: 'buckets'; from: number; to: number; buckets: MetricBucket[] };

/** Router statistics of one layer's router at one step. */
export interface RouterLayerStats {
  layer: number;
  kind: string;
  load: number[];
  importance: number[] | null;
  cv: number | null;
  maxOverMean: number | null;
  entropy: number | null;
  dead: number[];
  byDomain: Record<string, number[]> | null;
}

/** Answer of `metrics:router`. */
export interface RouterData {
  runId: string;
  /** The router record at or before the asked step (the newest when no step is given). */
  snapshot: { step: number; tokens: number | null; layers: RouterLayerStats[] } | null;
  /** Balance over time, one line per (layer, kind). */
  history: {
    layer: number;
    kind: string;
    points: { step: number; cv: number | null; maxOverMean: number | null; entropy: number | null; dead: number }[];
  }[];
}

/** A line or a file condition that could not be ingested. */
export interface IngestErrorRecord {
  kind: 'malformed' | 'truncated' | 'replaced' | 'missing';
  lineNumber: number | null;
  byteOffset: number | null;
  reason: string;
  excerpt: string | null;
  createdAt: number;
}

/** Payload of `metrics:appended`: a compact summary of what one read of the stream added. */
export interface MetricsAppended {
  runId: string;
  attempt: number;
  /** Points added, and their step range. */
  points: number;
  fromStep: number | null;
  toStep: number | null;
  /** The newest value of each series that changed. */
  latest: Record<string, { step: number; value: number | null }>;
  /** Other records that arrived (router, val, checkpoint, event, status, header). */
  records: Record<string, number>;
}

/** Answer of `metrics:ingest`. */
export interface IngestResult {
  lines: number;
  points: number;
  byteOffset: number;
  blocked: string | null;
}

const runId = z.string().min(1);
const step = z.number().int().min(0);
const listRequest = z.object({ runId }).strict();
/** `fromStart`: read the file from its first line again (after it was replaced); stored points are kept. */
const ingestRequest = z.object({ runId, fromStart: z.boolean().default(false) }).strict();
const seriesRequest = z
  .object({
    runId,
    series: z.string().min(1),
    from: step.optional(),
    to: step.optional(),
    maxPoints: z.number().int().min(1).max(10_000_000).default(1000),
    includeArchived: z.boolean().default(false),
  })
  .strict();
const routerRequest = z
  .object({ runId, step: step.optional(), maxPoints: z.number().int().min(1).max(100_000).default(1000) })
  .strict();

/** Channels of the `metrics` domain. */
export const metricsChannels = {
  'metrics:list': channel<typeof listRequest, SeriesInfo[]>(listRequest),
  /** Points of one series in a step range; min/max/last per bucket when there are more than maxPoints. */
  'metrics:series': channel<typeof seriesRequest, SeriesData>(seriesRequest),
  'metrics:router': channel<typeof routerRequest, RouterData>(routerRequest),
  'metrics:errors': channel<typeof listRequest, IngestErrorRecord[]>(listRequest),
  /** Reads the run's metrics stream now, from where reading stopped (also for runs nobody watches). */
  'metrics:ingest': channel<typeof ingestRequest, IngestResult>(ingestRequest),
} as const;

/** Events of the `metrics` domain. */
export const metricsEvents = {
  'metrics:appended': event<MetricsAppended>(),
} as const;

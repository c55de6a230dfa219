import { z } from 'zod';
import { channel } from './define.js';
import type { RunSummary } from './runs.js';

/** A run as the history table shows it: the summary, its resolved flags, and where it got to. */
export interface HistoryRun extends RunSummary {
  /** Every resolved flag of the run (`moetrain config --json` flags), by name. */
  config: Record<string, string | number | boolean | null>;
  /** Newest training loss, validation loss, tokens seen and throughput. */
  lastLoss: number | null;
  lastValLoss: number | null;
  tokens: number | null;
  tokensPerSec: number | null;
  /** Seconds the trainer has been training (the stream's `elapsed`, summed over attempts). */
  elapsed: number | null;
  /** Ranks of the newest attempt and the device it ran on (from the stream header). */
  worldSize: number | null;
  device: string | null;
}

/** Throughput measured by earlier runs of one preset on one node. */
export interface MeasuredThroughput {
  nodeId: string;
  preset: string;
  /** Runs that logged throughput; 0 = nothing measured yet. */
  runs: number;
  /** Median tokens/s over those runs' recent step records, per run, then the median over runs. */
  tokensPerSec: number | null;
  worldSize: number | null;
  device: string | null;
}

const listRequest = z.object({ limit: z.number().int().min(1).max(10_000).default(2000) }).strict();
const runRequest = z.object({ runId: z.string().min(1) }).strict();
const throughputRequest = z.object({ nodeId: z.string().min(1), preset: z.string().min(1) }).strict();

/** Channels of the `history` domain: read-only views over all runs for the history table and the wizard. */
export const historyChannels = {
  'history:runs': channel<typeof listRequest, HistoryRun[]>(listRequest),
  /** One run as the history table shows it (the run view's cost and time figures). */
  'history:run': channel<typeof runRequest, HistoryRun>(runRequest),
  /** What earlier runs of this preset on this node measured, for cost and time estimates. */
  'history:throughput': channel<typeof throughputRequest, MeasuredThroughput>(throughputRequest),
} as const;

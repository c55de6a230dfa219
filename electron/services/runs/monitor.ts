import { posix } from 'node:path';
import type { MetricsAppended } from '../../contract/metrics.js';
import { isFinalState } from '../../contract/runs.js';
import type { IngestWriter } from '../metrics/ingest-writer.js';
import type { ChunkSummary } from '../metrics/record-applier.js';
import { StreamIngester } from '../metrics/stream-ingester.js';
import type { NodeHandle } from '../nodes/node.js';
import type { NodePool } from '../nodes/node-pool.js';
import type { EventBus } from '../util/event-bus.js';
import { judge, observe, type Observation } from './liveness.js';
import { toSummary, type RunStore, type StoredRun } from './run-store.js';

/** Timing of the monitor; tests shorten nothing, the defaults meet the 1 s delivery promise. */
export interface MonitorTiming {
  /** Metrics poll while a run is live (≤ 250 ms). */
  livePollMs: number;
  /** Liveness check (one command on the node) while a run is live. */
  livenessMs: number;
  /** Longest wait between polls after errors or while the run is not live. */
  maxBackoffMs: number;
  /** How long after a start an empty run directory is still "launching". */
  launchGraceMs: number;
}

const defaultTiming: MonitorTiming = { livePollMs: 250, livenessMs: 1000, maxBackoffMs: 10_000, launchGraceMs: 30_000 };

interface Watch {
  runId: string;
  /** Liveness checks in a row that could not decide (trainer gone, wrapper not yet done). */
  undecided: number;
  ingester: StreamIngester | null;
  lastLiveness: number;
  delayMs: number;
  timer: NodeJS.Timeout | null;
  busy: Promise<void> | null;
  /** A liveness check in flight (it runs beside the metrics polls, never in front of them). */
  liveness: Promise<void> | null;
  /** Reads of the stream, one after the other. */
  chain: Promise<void>;
  launchedAt: number;
}

/** Merges the chunks of one poll into the compact `metrics:appended` payload. */
export function appendedPayload(runId: string, chunks: ChunkSummary[]): MetricsAppended | null {
  if (chunks.length === 0) return null;
  const out: MetricsAppended = { runId, attempt: 0, points: 0, fromStep: null, toStep: null, latest: {}, records: {} };
  for (const c of chunks) {
    out.attempt = c.attempt;
    out.points += c.points;
    if (c.fromStep !== null && (out.fromStep === null || c.fromStep < out.fromStep)) out.fromStep = c.fromStep;
    if (c.toStep !== null && (out.toStep === null || c.toStep > out.toStep)) out.toStep = c.toStep;
    for (const [name, v] of c.latest) out.latest[name] = v;
    for (const [type, n] of Object.entries(c.records)) out.records[type] = (out.records[type] ?? 0) + n;
  }
  return out.points > 0 || Object.keys(out.records).length > 0 ? out : null;
}

/** The heartbeat interval the run's trainer uses (its resolved `--heartbeat-every`), in seconds. */
export function heartbeatInterval(run: { config?: Record<string, unknown> }, fallback = 10): number {
  const flags = (run.config?.flags ?? {}) as Record<string, unknown>;
  const v = flags['heartbeat-every'];
  return typeof v === 'number' && v > 0 ? v : fallback;
}

/**
 * Watches runs that are not final: tails each one's metrics stream (every 250 ms while live) and
 * judges its liveness (every second), publishing `metrics:appended` and `runs:changed`. A run that
 * ends is drained to its last line and dropped. Node trouble backs off; it is never a run state.
 */
export class RunMonitor {
  private readonly watches = new Map<string, Watch>();
  /** State of refreshes of runs nobody watches (the CLI's), kept so undecided checks add up. */
  private readonly probes = new Map<string, Watch>();
  private closed = false;
  private readonly timing: MonitorTiming;

  constructor(
    private readonly runs: RunStore,
    private readonly pool: NodePool,
    private readonly writer: IngestWriter,
    private readonly events: EventBus,
    timing: Partial<MonitorTiming> = {},
  ) {
    this.timing = { ...defaultTiming, ...timing };
  }

  /** Starts watching a run (no-op when watched already). */
  watch(runId: string, launchedNow = false): void {
    if (this.closed) return;
    const existing = this.watches.get(runId);
    if (existing) {
      if (launchedNow) existing.launchedAt = Date.now();
      return;
    }
    const w = this.newWatch(runId, launchedNow ? Date.now() : 0);
    this.watches.set(runId, w);
    this.schedule(w, 0);
  }

  /** Watches every run that is not final (after a start of the workbench). */
  watchActive(): void {
    for (const run of this.runs.active()) this.watch(run.id);
  }

  /** True while a run is watched. */
  isWatching(runId: string): boolean {
    return this.watches.has(runId);
  }

  /** Reads a run's directory now: new metrics, then liveness. Works for watched and unwatched runs. */
  async refresh(runId: string): Promise<StoredRun> {
    const w = this.watches.get(runId);
    if (w) {
      await w.busy;
      await this.tick(w, true);
    } else {
      let probe = this.probes.get(runId);
      if (!probe) {
        probe = this.newWatch(runId, 0);
        this.probes.set(runId, probe);
      }
      await this.tick(probe, true);
    }
    return this.runs.get(runId);
  }

  /** Stops every watch and waits for polls in flight. */
  async close(): Promise<void> {
    this.closed = true;
    const busy: Promise<void>[] = [];
    for (const w of [...this.watches.values(), ...this.probes.values()]) {
      if (w.timer) clearTimeout(w.timer);
      if (w.busy) busy.push(w.busy);
      if (w.liveness) busy.push(w.liveness);
    }
    this.watches.clear();
    await Promise.all(busy);
  }

  private schedule(w: Watch, delayMs: number): void {
    if (this.closed || this.watches.get(w.runId) !== w) return;
    w.timer = setTimeout(() => {
      w.timer = null;
      w.busy = this.tick(w, false)
        .then((keep) => {
          if (!keep) this.watches.delete(w.runId);
          else this.schedule(w, w.delayMs);
        })
        .catch((err: unknown) => {
          console.error(`watching run ${w.runId} failed:`, err);
          w.delayMs = Math.min(Math.max(w.delayMs * 2, 1000), this.timing.maxBackoffMs);
          this.schedule(w, w.delayMs);
        })
        .finally(() => {
          w.busy = null;
        });
    }, delayMs);
  }

  private newWatch(runId: string, launchedAt: number): Watch {
    return {
      runId,
      undecided: 0,
      ingester: null,
      lastLiveness: 0,
      delayMs: 0,
      timer: null,
      busy: null,
      liveness: null,
      chain: Promise.resolve(),
      launchedAt,
    };
  }

  /** One poll; resolves false when the run is final and fully read (stop watching). */
  private async tick(w: Watch, force: boolean): Promise<boolean> {
    const run = this.runs.get(w.runId);
    const node = await this.pool.get(run.nodeId);
    w.ingester ??= new StreamIngester(this.writer, node, run.key, run.id, posix.join(run.remoteDir, 'metrics.jsonl'));
    await this.ingest(w);
    if (isFinalState(run.state) && !force) return false;
    if (force) {
      await w.liveness;
      await this.checkLiveness(w, node);
    } else if (!w.liveness && Date.now() - w.lastLiveness >= this.timing.livenessMs) {
      // In the background: a slow command on the node (or a busy machine) must not hold back metrics.
      w.liveness = this.checkLiveness(w, node)
        .catch((err: unknown) => console.error(`checking run ${w.runId} failed:`, err))
        .finally(() => {
          w.liveness = null;
        });
    }
    const now = this.runs.get(w.runId);
    const live = now.state === 'running' || now.state === 'stopping' || now.state === 'launching';
    w.delayMs = live ? this.timing.livePollMs : Math.min(Math.max(w.delayMs * 2, 1000), this.timing.maxBackoffMs);
    if (isFinalState(now.state)) {
      await this.ingest(w);
      return false;
    }
    return true;
  }

  /** Looks at the run directory and records the verdict. */
  private async checkLiveness(w: Watch, node: NodeHandle): Promise<void> {
    const started = Date.now();
    w.lastLiveness = started;
    const run = this.runs.get(w.runId);
    const seen = await observe(node, run.remoteDir, run.id);
    // The trainer's status record is written before it exits: read it before judging the exit.
    if (seen.exitCode !== null) await this.ingest(w);
    this.apply(w, this.runs.get(w.runId), seen, started - w.launchedAt < this.timing.launchGraceMs);
  }

  /** Reads new lines of the stream; reads of one run never overlap. */
  private ingest(w: Watch): Promise<void> {
    const read = w.chain.then(() => this.ingestNow(w));
    w.chain = read.catch(() => undefined);
    return read;
  }

  private async ingestNow(w: Watch): Promise<void> {
    if (!w.ingester) return;
    const result = await w.ingester.poll();
    const payload = appendedPayload(w.runId, result.chunks);
    if (payload) this.events.emit('metrics:appended', payload);
    if (result.chunks.some((c) => c.records.header || c.records.checkpoint || c.records.status)) {
      this.events.emit('runs:changed', { run: toSummary(this.runs.get(w.runId)) });
    }
  }

  private apply(w: Watch, run: StoredRun, seen: Observation, launching: boolean): void {
    // A final state changes only through a resume (which sets `launching` itself).
    if (isFinalState(run.state)) return;
    const lastStatus = this.runs.lastStatus(run);
    // The wrapper numbers an attempt before its trainer writes a header (one that fails early never
    // does): the previous attempt's status and exit code must not be taken for this one's.
    const attempt = Math.max(run.attempt, seen.attempt?.attempt ?? 0);
    const verdict = judge(seen, {
      heartbeatInterval: heartbeatInterval({ config: this.runs.configOf(run.id) }),
      stopRequested: run.stopRequested,
      lastStatus: lastStatus && lastStatus.attempt === attempt ? lastStatus : null,
      launching,
    });
    const heartbeat = seen.heartbeat?.time ?? null;
    if (verdict.state === null) {
      // Normally the wrapper records the exit within milliseconds; one that does not is not running.
      w.undecided += 1;
      if (launching || w.undecided < 3 || (seen.trainer === 'none' && seen.wrapper === 'match')) return;
      verdict.state = 'unresponsive';
      verdict.message = 'the trainer is gone but its launch wrapper has not recorded an exit code';
    } else {
      w.undecided = 0;
    }
    const final = isFinalState(verdict.state);
    if (verdict.state === run.state && verdict.message === run.stateMessage && heartbeat === run.lastHeartbeat) return;
    const changed = this.runs.setState(run.id, {
      state: verdict.state,
      message: verdict.message,
      lastHeartbeat: heartbeat,
      startedAt: run.startedAt ?? (verdict.state === 'running' ? Date.now() / 1000 : null),
      ...(final ? { endedAt: Date.now() / 1000, exitCode: seen.exitCode } : {}),
    });
    if (final) this.runs.recordAttemptExit(run.id, attempt, seen.exitCode, Date.now() / 1000);
    if (verdict.state !== run.state || verdict.message !== run.stateMessage) {
      this.events.emit('runs:changed', { run: toSummary(changed) });
    }
  }
}

import type { Db } from '../db/database.js';
import { BlockAccumulator, SummaryWriter } from './block-summary.js';
import type { Cursor } from './cursor.js';

/** What one chunk of the stream held. */
export interface ChunkSummary {
  /** Lines read (including blank and malformed ones). */
  lines: number;
  /** Malformed lines recorded and skipped. */
  errors: number;
  /** Point rows offered to the store (a replayed line offers rows that already exist). */
  points: number;
  fromStep: number | null;
  toStep: number | null;
  /** The attempt in force after the chunk. */
  attempt: number;
  /** Newest value per series. */
  latest: Map<string, { step: number; value: number | null }>;
  /** Count of records by type. */
  records: Record<string, number>;
  /** The `state` of the last status record, if any. */
  lastStatus: { attempt: number; state: string; message: string | null } | null;
}

type Rec = Record<string, unknown>;
const metaKeys = new Set(['type', 'step', 'tokens', 'time']);

class Malformed extends Error {}

/**
 * The `kept` map of a checkpoint record or retention event (every checkpoint retention keeps, with
 * the rules that keep it: `newest`, `every_tokens`, `best_val`), as [path, JSON list] pairs.
 */
function keptEntries(v: unknown): [string, string][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.entries(v as Rec).map(([path, reasons]) => [
    path,
    JSON.stringify(Array.isArray(reasons) ? reasons.filter((x): x is string => typeof x === 'string') : []),
  ]);
}

/** A series as the applier knows it, with its newest point in the chunk being applied. */
interface SeriesEntry {
  id: number;
  name: string;
  /** Number of the chunk that last touched the series, and its newest point there (mutated in place). */
  chunk: number;
  step: number;
  value: number | null;
  /** The level-1 block of the series' points inserted by this chunk and not yet summarised. */
  block: BlockAccumulator;
}

interface SeriesGroup {
  prefix: string;
  byKey: Map<string, SeriesEntry>;
}

function int(rec: Rec, key: string, min = 0): number {
  const v = rec[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new Malformed(`"${key}" must be an integer >= ${min}`);
  return v;
}
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** Turns parsed records into rows (docs/metrics-schema.md); runs inside the caller's transaction. */
export class RecordApplier {
  private readonly seriesIds = new Map<string, number>();
  /** Series ids by record key, per name prefix (`train`, `val`, `val/by_domain`). */
  private readonly groups = new Map<string, SeriesGroup>();
  /** Series touched by the chunk being applied (their newest points become `latest`). */
  private touched: SeriesEntry[] = [];
  private chunkNo = 0;
  /** The run the chunk being applied belongs to. */
  private runKey = 0;
  private readonly summaries: SummaryWriter;
  private readonly stmts;

  constructor(db: Db) {
    this.summaries = new SummaryWriter(db);
    this.stmts = {
      point: db.prepare(
        `INSERT INTO points (run_key, series_id, step, attempt, value, tokens, time) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      seriesInsert: db.prepare('INSERT INTO series (name) VALUES (?) ON CONFLICT DO NOTHING'),
      seriesSelect: db.prepare('SELECT id FROM series WHERE name = ?').pluck(),
      router: db.prepare(
        `INSERT INTO router_stats (run_key, step, layer, kind, attempt, tokens, load, importance, cv, max_over_mean,
           entropy, dead, by_domain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      event: db.prepare(
        `INSERT INTO run_events (run_key, byte_offset, attempt, type, kind, step, time, message, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      archivePoints: db.prepare(
        'UPDATE points SET archived = 1 WHERE run_key = ? AND attempt < ? AND step > ? AND archived = 0',
      ),
      archiveRouter: db.prepare(
        'UPDATE router_stats SET archived = 1 WHERE run_key = ? AND attempt < ? AND step > ? AND archived = 0',
      ),
      attempt: db.prepare(
        `INSERT INTO attempts (run_id, attempt, resume_step, resume_checkpoint, started_at, header) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, attempt) DO UPDATE SET resume_step = excluded.resume_step,
           resume_checkpoint = excluded.resume_checkpoint, started_at = excluded.started_at, header = excluded.header`,
      ),
      attemptStatus: db.prepare(
        `INSERT INTO attempts (run_id, attempt, state, message, ended_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_id, attempt) DO UPDATE SET state = excluded.state, message = excluded.message, ended_at = excluded.ended_at`,
      ),
      checkpoint: db.prepare(
        `INSERT INTO checkpoints (run_id, attempt, step, tokens, bytes, path, loss, val_loss, reason, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      checkpointKept: db.prepare(
        "UPDATE checkpoints SET kept = ? WHERE run_id = ? AND path = ? AND status = 'complete'",
      ),
      checkpointDeleted: db.prepare("UPDATE checkpoints SET status = 'deleted' WHERE run_id = ? AND path = ?"),
      runLastStep: db.prepare('UPDATE runs SET last_step = ? WHERE key = ?'),
      runId: db.prepare('SELECT id FROM runs WHERE key = ?').pluck(),
      error: db.prepare(
        `INSERT INTO ingest_errors (run_id, stream, kind, line_number, byte_offset, reason, excerpt, created_at)
         VALUES (?, ?, 'malformed', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
    };
  }

  /** Drops cached series ids (after a rollback they may name rows that no longer exist). */
  forgetCaches(): void {
    this.seriesIds.clear();
    this.groups.clear();
    this.summaries.discard();
  }

  /** Applies the complete lines in `buf`, which starts at byte `cursor.byteOffset` of the stream. */
  apply(runKey: number, cursor: Cursor, buf: Buffer): ChunkSummary {
    const runId = this.stmts.runId.get(runKey) as string | undefined;
    if (runId === undefined) throw new Error(`run key ${runKey} is not in the store`);
    const s: ChunkSummary = {
      lines: 0,
      errors: 0,
      points: 0,
      fromStep: null,
      toStep: null,
      attempt: cursor.attempt,
      latest: new Map(),
      records: {},
      lastStatus: null,
    };
    let lastStep: number | null = null;
    this.chunkNo += 1;
    this.runKey = runKey;
    this.touched = [];
    this.summaries.discard();
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      const end = nl < 0 ? buf.length : nl;
      const offset = cursor.byteOffset + pos;
      const lineNumber = cursor.lineCount + s.lines + 1;
      const text = buf.toString('utf8', pos, end > pos && buf[end - 1] === 0x0d ? end - 1 : end);
      pos = end + 1;
      s.lines += 1;
      if (text.trim() === '') continue;
      try {
        let rec: unknown;
        try {
          rec = JSON.parse(text);
        } catch (err) {
          throw new Malformed(`not JSON: ${(err as Error).message}`);
        }
        if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Malformed('not a JSON object');
        const type = (rec as Rec).type;
        if (typeof type !== 'string') throw new Malformed('no "type"');
        const step = this.applyRecord(runKey, runId, offset, type, rec as Rec, s);
        if (step !== undefined) lastStep = step;
        s.records[type] = (s.records[type] ?? 0) + 1;
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        s.errors += 1;
        this.stmts.error.run(
          runId,
          cursor.stream,
          lineNumber,
          offset,
          err.message,
          text.slice(0, 200),
          Date.now() / 1000,
        );
      }
    }
    for (const e of this.touched) s.latest.set(e.name, { step: e.step, value: e.value });
    this.flushSummaries();
    if (lastStep !== null) this.stmts.runLastStep.run(lastStep, runKey);
    return s;
  }

  /** Applies one record; returns the run's new last step when the record moves it. */
  private applyRecord(
    runKey: number,
    runId: string,
    offset: number,
    type: string,
    rec: Rec,
    s: ChunkSummary,
  ): number | undefined {
    switch (type) {
      case 'step':
      case 'val': {
        const step = int(rec, 'step');
        this.points(type === 'step' ? 'train' : 'val', step, s, rec);
        return type === 'step' ? step : undefined;
      }
      case 'router':
        this.router(runKey, s.attempt, rec);
        return undefined;
      case 'checkpoint': {
        const step = int(rec, 'step');
        const path = str(rec.path);
        if (path === null) throw new Malformed('"path" must be a string');
        this.stmts.checkpoint.run(
          runId,
          s.attempt,
          step,
          num(rec.tokens),
          num(rec.bytes),
          path,
          num(rec.loss),
          num(rec.val_loss),
          str(rec.reason),
          num(rec.time),
        );
        for (const [kept, reasons] of keptEntries(rec.kept)) this.stmts.checkpointKept.run(reasons, runId, kept);
        return undefined;
      }
      case 'header': {
        const attempt = int(rec, 'attempt', 1);
        const resume = rec.resume as Rec | null | undefined;
        const resumeStep = resume && typeof resume === 'object' ? int(resume, 'step') : 0;
        // Determined-style soft rollback: earlier attempts' points past the resume step are superseded.
        // The summaries of this chunk's points so far are written first, so the refresh sees them.
        this.flushSummaries();
        if (this.stmts.archivePoints.run(runKey, attempt, resumeStep).changes > 0) {
          this.summaries.refreshAfterArchive(runKey, resumeStep);
        }
        this.stmts.archiveRouter.run(runKey, attempt, resumeStep);
        this.stmts.attempt.run(
          runId,
          attempt,
          resume ? resumeStep : null,
          resume ? str(resume.checkpoint) : null,
          num(rec.time),
          JSON.stringify(rec),
        );
        s.attempt = attempt;
        this.stmts.event.run(runKey, offset, attempt, 'header', null, null, num(rec.time), null, JSON.stringify(rec));
        return resumeStep;
      }
      case 'event': {
        const kind = str(rec.kind);
        const message = str(rec.message);
        this.stmts.event.run(
          runKey,
          offset,
          s.attempt,
          'event',
          kind,
          num(rec.step),
          num(rec.time),
          message,
          JSON.stringify(rec),
        );
        if (kind === 'checkpoint_deleted') {
          const path = str(rec.path) ?? /checkpoints\/step-\d+/.exec(message ?? '')?.[0] ?? null;
          if (path) this.stmts.checkpointDeleted.run(runId, path);
          for (const [kept, reasons] of keptEntries(rec.kept)) this.stmts.checkpointKept.run(reasons, runId, kept);
        }
        return undefined;
      }
      case 'status': {
        const state = str(rec.state);
        if (state === null) throw new Malformed('"state" must be a string');
        const message = str(rec.message);
        this.stmts.event.run(
          runKey,
          offset,
          s.attempt,
          'status',
          state,
          num(rec.step),
          num(rec.time),
          message,
          JSON.stringify(rec),
        );
        this.stmts.attemptStatus.run(runId, s.attempt, state, message, num(rec.time));
        s.lastStatus = { attempt: s.attempt, state, message };
        return undefined;
      }
      default:
        // A record type this build does not know: newer trainers may add some; readers skip them.
        return undefined;
    }
  }

  private points(prefix: string, step: number, s: ChunkSummary, rec: Rec): void {
    const tokens = num(rec.tokens);
    const time = num(rec.time);
    const top = this.group(prefix);
    for (const key in rec) {
      if (metaKeys.has(key)) continue;
      const v = rec[key];
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const nested = this.group(`${prefix}/${key}`);
        for (const sub in v as Rec) this.point(nested, sub, step, s, (v as Rec)[sub], tokens, time);
      } else {
        this.point(top, key, step, s, v, tokens, time);
      }
    }
  }

  private point(
    group: SeriesGroup,
    key: string,
    step: number,
    s: ChunkSummary,
    v: unknown,
    tokens: number | null,
    time: number | null,
  ): void {
    let value: number | null;
    if (typeof v === 'number') value = v;
    else if (v === null) value = null;
    else if (typeof v === 'boolean') value = v ? 1 : 0;
    else return;
    // Keys of parsed JSON are internalised strings, so this lookup does not hash a fresh string.
    let entry = group.byKey.get(key);
    if (entry === undefined) {
      const name = `${group.prefix}/${key}`;
      entry = { id: this.seriesId(name), name, chunk: 0, step: 0, value: null, block: new BlockAccumulator() };
      group.byKey.set(key, entry);
    }
    if (entry.chunk !== this.chunkNo) {
      entry.chunk = this.chunkNo;
      entry.block.block = -1;
      this.touched.push(entry);
    }
    entry.step = step;
    entry.value = value;
    // Straight from the parsed record to SQLite: buffering points (to insert them series by series)
    // costs more in boxed numbers and garbage collection than it saves in B-tree seeks.
    // Only a row actually inserted (not a replayed one) enters the summaries.
    if (this.stmts.point.run(this.runKey, entry.id, step, s.attempt, value, tokens, time).changes > 0) {
      entry.block.add(step, value, entry.id, this.summaries);
    }
    s.points += 1;
    if (s.fromStep === null || step < s.fromStep) s.fromStep = step;
    if (s.toStep === null || step > s.toStep) s.toStep = step;
  }

  /** Hands every series' open block to the summary writer and writes the summaries. */
  private flushSummaries(): void {
    for (const e of this.touched) e.block.handTo(e.id, this.summaries);
    this.summaries.flush(this.runKey);
  }

  private group(prefix: string): SeriesGroup {
    let g = this.groups.get(prefix);
    if (g === undefined) {
      g = { prefix, byKey: new Map() };
      this.groups.set(prefix, g);
    }
    return g;
  }

  private router(runKey: number, attempt: number, rec: Rec): void {
    const step = int(rec, 'step');
    const layers = rec.layers;
    if (!Array.isArray(layers)) throw new Malformed('"layers" must be an array');
    for (const l of layers as Rec[]) {
      if (typeof l !== 'object' || l === null) throw new Malformed('each layer must be an object');
      int(l, 'layer');
      if (typeof l.kind !== 'string') throw new Malformed('each layer needs a "kind"');
      if (!Array.isArray(l.load)) throw new Malformed('each layer needs a "load" array');
    }
    const tokens = num(rec.tokens);
    for (const l of layers as Rec[]) {
      this.stmts.router.run(
        runKey,
        step,
        l.layer,
        l.kind,
        attempt,
        tokens,
        JSON.stringify(l.load),
        json(l.importance),
        num(l.cv),
        num(l.max_over_mean),
        num(l.entropy),
        json(l.dead ?? []),
        json(l.by_domain),
      );
    }
  }

  private seriesId(name: string): number {
    let id = this.seriesIds.get(name);
    if (id === undefined) {
      this.stmts.seriesInsert.run(name);
      id = this.stmts.seriesSelect.get(name) as number;
      this.seriesIds.set(name, id);
    }
    return id;
  }
}

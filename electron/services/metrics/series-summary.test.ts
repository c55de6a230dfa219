import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { insertRun, openTestStore } from '../../test-support/store.js';
import { summaryMismatches } from '../../test-support/summaries.js';
import { openDatabase, type Db } from '../db/database.js';
import { loadMigrations } from '../db/migrations/index.js';
import { IngestWriter } from './ingest-writer.js';
import { MetricsQueries, type SeriesQuery } from './queries.js';
import { seriesByRowScan } from './series-row-scan.js';

/** A run's stream: attempts, each resuming at a fraction of the steps so far, made of runs of steps. */
interface StreamSpec {
  seed: number;
  attempts: { resumeAt: number; segments: { gap: number; len: number; stride: number }[] }[];
  chunkLines: number;
  replayChunkLines: number | null;
}

/** A small deterministic generator, so one seed stands for thousands of values. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value as it appears in the stream: numbers, ties, null, booleans, -0 and overflow to ±Infinity. */
function valueText(r: () => number): string {
  const x = r();
  if (x < 0.06) return 'null';
  if (x < 0.09) return r() < 0.5 ? 'true' : 'false';
  if (x < 0.11) return r() < 0.5 ? '1e999' : '-1e999';
  if (x < 0.13) return '-0';
  if (x < 0.3) return String(Math.floor(r() * 5));
  return JSON.stringify((r() - 0.5) * 10 ** Math.floor(r() * 6));
}

/** Stream lines for a spec, and the largest step written. */
function streamLines(spec: StreamSpec): { lines: string[]; maxStep: number } {
  const r = prng(spec.seed);
  const lines: string[] = [];
  let last = 0;
  let maxStep = 0;
  spec.attempts.forEach((a, k) => {
    const resume = k === 0 ? null : Math.floor(a.resumeAt * last);
    lines.push(
      JSON.stringify({
        type: 'header',
        schema: 1,
        attempt: k + 1,
        time: k,
        resume: resume === null ? null : { step: resume, checkpoint: 'c' },
      }),
    );
    let step = resume === null ? 0 : resume + 1;
    for (const seg of a.segments) {
      step += seg.gap;
      for (let i = 0; i < seg.len; i++) {
        const line =
          `{"type": "step", "step": ${step}, "loss": ${valueText(r)}, "gn": ${valueText(r)}, ` +
          `"tokens": ${step * 8 + k}, "time": ${step + k / 4}}`;
        lines.push(line);
        // Now and then the same line twice: the second insert is a no-op and must not be summarised.
        if (r() < 0.02) lines.push(line);
        last = step;
        maxStep = Math.max(maxStep, step);
        step += seg.stride;
      }
    }
  });
  return { lines, maxStep };
}

/** Applies the lines through the real writer in chunks of `chunkLines` lines, from the cursor where it is. */
function ingest(writer: IngestWriter, runId: string, runKey: number, lines: string[], chunkLines: number): void {
  let cursor = writer.cursors.get(runId, 'metrics');
  for (let i = 0; i < lines.length; i += chunkLines) {
    const buf = Buffer.from(lines.slice(i, i + chunkLines).join('\n') + '\n');
    cursor = writer.applyChunk(runKey, cursor, buf, { inode: 1, headLen: 0, headHash: null }).cursor;
  }
}

const gap = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 6000 }), weight: 2 },
  { arbitrary: fc.integer({ min: 60_000, max: 300_000 }), weight: 1 },
);
const segment = fc.record({
  gap,
  len: fc.integer({ min: 1, max: 150 }),
  stride: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 })),
});
const spec: fc.Arbitrary<StreamSpec> = fc.record({
  seed: fc.integer(),
  attempts: fc.array(
    fc.record({
      resumeAt: fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
      segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
    }),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  chunkLines: fc.integer({ min: 1, max: 400 }),
  replayChunkLines: fc.option(fc.integer({ min: 1, max: 400 })),
});
/** Where in the series a query starts or ends (past the end now and then). */
const fractionOfSteps = fc.integer({ min: 0, max: 1050 }).map((x) => x / 1000);
const query = fc.record({
  from: fc.option(fractionOfSteps, { freq: 2 }),
  to: fc.option(fractionOfSteps, { freq: 2 }),
  maxPoints: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 300 }), weight: 1 },
  ),
  includeArchived: fc.boolean(),
  series: fc.constantFrom('train/loss', 'train/gn'),
});

function expectSummariesMatchPoints(db: Db, runKey?: number): void {
  expect(summaryMismatches(db, runKey)).toEqual({ stored: [], expected: [] });
}

describe('MetricsQueries.series from the level-of-detail summaries', () => {
  it('answers exactly what a scan of every row answers, for random series, resumes, replays and ranges', () => {
    const { db } = openTestStore();
    const writer = new IngestWriter(db);
    const q = new MetricsQueries(db);
    let n = 0;
    let bucketed = 0;
    fc.assert(
      fc.property(spec, fc.array(query, { minLength: 1, maxLength: 6 }), (s, queries) => {
        const runId = `r-20261129-${(n++).toString(16).padStart(6, '0')}`;
        const runKey = insertRun(db, runId, '/nonexistent');
        const { lines, maxStep } = streamLines(s);
        ingest(writer, runId, runKey, lines, s.chunkLines);
        if (s.replayChunkLines !== null) {
          // The whole stream again from byte 0: points and summaries unchanged.
          writer.cursors.resetTo0(runId, 'metrics');
          ingest(writer, runId, runKey, lines, s.replayChunkLines);
        }
        expectSummariesMatchPoints(db, runKey);
        for (const x of queries) {
          const at = (f: number | null): number | undefined => (f === null ? undefined : Math.floor(f * maxStep));
          // Mostly from <= to; now and then the other way round (an empty range).
          const swap = x.from !== null && x.to !== null && x.from > x.to && x.from - x.to > 0.9;
          const [a, b] = x.from !== null && x.to !== null && x.from > x.to && !swap ? [x.to, x.from] : [x.from, x.to];
          const from = at(a);
          const to = at(b);
          const sq: SeriesQuery = {
            runKey,
            runId,
            series: x.series,
            maxPoints: x.maxPoints,
            includeArchived: x.includeArchived,
            ...(from !== undefined ? { from } : {}),
            ...(to !== undefined ? { to } : {}),
          };
          const got = q.series(sq);
          if (got.mode === 'buckets') bucketed++;
          expect(got).toEqual(seriesByRowScan(db, sq));
        }
      }),
      { numRuns: 60 },
    );
    // The property is about buckets: most queries must have produced them.
    expect(bucketed).toBeGreaterThan(80);
    db.close();
  }, 120_000);

  it("places the point at each bucket's last step from the newest attempt, also across block edges", () => {
    const { db } = openTestStore();
    const writer = new IngestWriter(db);
    const runId = 'r-20261129-000aaa';
    const runKey = insertRun(db, runId, '/nonexistent');
    const step = (s: number, v: number, attempt: number): string =>
      `{"type": "step", "step": ${s}, "loss": ${v}, "tokens": ${s * 10 + attempt}}`;
    const lines = [
      '{"type": "header", "attempt": 1, "resume": null}',
      ...Array.from({ length: 70_000 }, (_, i) => step(i, Math.sin(i), 1)),
      // Resumed at 65,000: the old attempt's points past it are archived, in blocks of every level.
      '{"type": "header", "attempt": 2, "resume": {"step": 65000, "checkpoint": "c"}}',
      ...Array.from({ length: 10_000 }, (_, i) => step(65_001 + i, Math.cos(i), 2)),
    ];
    ingest(writer, runId, runKey, lines, 9000);
    expectSummariesMatchPoints(db);
    expect(db.prepare('SELECT count(*) FROM point_blocks WHERE level = 4 AND n < n_all').pluck().get()).toBeGreaterThan(
      0,
    );
    const q = new MetricsQueries(db);
    for (const includeArchived of [false, true]) {
      for (const maxPoints of [7, 100, 1000]) {
        const sq: SeriesQuery = { runKey, runId, series: 'train/loss', maxPoints, includeArchived };
        const got = q.series(sq);
        expect(got.mode).toBe('buckets');
        expect(got).toEqual(seriesByRowScan(db, sq));
        if (got.mode !== 'buckets') return;
        expect(got.buckets.reduce((c, b) => c + b.count, 0)).toBe(includeArchived ? 80_000 : 75_001);
        // Steps past 65,000 exist in both attempts; the newest attempt's point is the bucket's last.
        const lastBucket = got.buckets[got.buckets.length - 1]!;
        expect(lastBucket).toMatchObject({ lastStep: 75_000, lastTokens: 750_002 });
      }
    }
    db.close();
  });

  it('is backfilled from the points of a database created before the summaries existed', () => {
    const path = join(tempDir('moewb-db-'), 'workbench.db');
    const all = loadMigrations();
    const old = openDatabase(path, { migrations: all.slice(0, 2) }).db;
    const runKey = insertRun(old, 'r-20261129-0000bb', '/nonexistent');
    const series = old.prepare("INSERT INTO series (name) VALUES ('train/loss') RETURNING id").pluck().get() as number;
    const insert = old.prepare(
      'INSERT INTO points (run_key, series_id, step, attempt, value, archived) VALUES (?, ?, ?, ?, ?, ?)',
    );
    old.transaction(() => {
      for (let step = 0; step < 100_000; step += 3)
        insert.run(runKey, series, step, 1, step % 7 === 0 ? null : Math.sin(step), step > 90_000 ? 1 : 0);
      for (let step = 90_001; step < 95_000; step++) insert.run(runKey, series, step, 2, Math.cos(step), 0);
    })();
    old.close();
    const { db, fromVersion } = openDatabase(path);
    expect(fromVersion).toBe(2);
    expect(db.prepare('SELECT count(DISTINCT level) FROM point_blocks').pluck().get()).toBe(4);
    expectSummariesMatchPoints(db);
    const q = new MetricsQueries(db);
    const sq: SeriesQuery = {
      runKey,
      runId: 'r-20261129-0000bb',
      series: 'train/loss',
      maxPoints: 500,
      includeArchived: false,
    };
    expect(q.series(sq)).toEqual(seriesByRowScan(db, sq));
    db.close();
  });
});

import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedPoints, pointKey } from '../../test-support/metrics-file.js';
import { tempDir } from '../../test-support/paths.js';
import { insertRun, openTestStore } from '../../test-support/store.js';
import { summaryMismatches } from '../../test-support/summaries.js';
import { checkIntegrity, openDatabase, type Db } from '../db/database.js';
import { LocalNode } from '../nodes/local-node.js';
import { syntheticStream } from './bench/synthetic-stream.js';
import { CursorMovedError, IngestWriter } from './ingest-writer.js';
import { MetricsQueries } from './queries.js';
import { StreamIngester } from './stream-ingester.js';

const runId = 'r-20261129-abcdef';

function setup(): { db: Db; file: string; ingester: StreamIngester; runKey: number; writer: IngestWriter } {
  const { db } = openTestStore();
  const dir = tempDir('moewb-run-');
  const file = join(dir, 'metrics.jsonl');
  const runKey = insertRun(db, runId, dir);
  const writer = new IngestWriter(db);
  return { db, file, runKey, writer, ingester: new StreamIngester(writer, new LocalNode(), runKey, runId, file) };
}

function storedPoints(
  db: Db,
): { attempt: number; series: string; step: number; value: number | null; archived: number }[] {
  return db
    .prepare(
      `SELECT p.attempt, s.name AS series, p.step, p.value, p.archived FROM points p JOIN series s ON s.id = p.series_id
       ORDER BY p.attempt, s.name, p.step`,
    )
    .all() as { attempt: number; series: string; step: number; value: number | null; archived: number }[];
}

function expectStoreMatchesFile(db: Db, file: string): void {
  const expected = expectedPoints(file);
  const stored = storedPoints(db);
  expect(stored.length).toBe(expected.length);
  const byKey = new Map(stored.map((p) => [pointKey(p), p]));
  for (const e of expected) {
    const s = byKey.get(pointKey(e));
    expect(s, pointKey(e)).toBeDefined();
    expect(s!.value).toBe(e.value);
    expect(s!.archived).toBe(e.archived ? 1 : 0);
  }
  // The level-of-detail summaries agree with the points they summarise.
  expect(summaryMismatches(db)).toEqual({ stored: [], expected: [] });
}

const lines = (opts: Parameters<typeof syntheticStream>[0]): string => [...syntheticStream(opts)].join('\n') + '\n';

describe('StreamIngester', () => {
  it('stores exactly the points of the complete lines, with router, val, checkpoint and header records', async () => {
    const { db, file, ingester, runKey } = setup();
    writeFileSync(file, lines({ runId, steps: 300, routerEvery: 50, valEvery: 100, checkpointEvery: 100 }));
    const result = await ingester.poll();
    expect(result.blocked).toBeNull();
    expectStoreMatchesFile(db, file);
    expect(db.prepare('SELECT count(*) FROM router_stats WHERE run_key = ?').pluck().get(runKey)).toBe(6 * 8);
    expect(db.prepare('SELECT step, path, reason FROM checkpoints ORDER BY step').all()).toEqual([
      { step: 100, path: 'checkpoints/step-00000100', reason: 'interval' },
      { step: 200, path: 'checkpoints/step-00000200', reason: 'interval' },
      { step: 300, path: 'checkpoints/step-00000300', reason: 'interval' },
    ]);
    expect(db.prepare('SELECT attempt, resume_step FROM attempts').all()).toEqual([{ attempt: 1, resume_step: null }]);
    expect(db.prepare('SELECT last_step FROM runs').pluck().get()).toBe(300);

    // Polling again with nothing new changes nothing; the offset is the file's size.
    const again = await ingester.poll();
    expect(again.chunks).toEqual([]);
    expect(again.cursor.byteOffset).toBe(
      Buffer.byteLength(lines({ runId, steps: 300, routerEvery: 50, valEvery: 100, checkpointEvery: 100 })),
    );
    checkIntegrity(db, 'test');
  });

  it('leaves a trailing partial line alone until its newline arrives', async () => {
    const { db, file, ingester } = setup();
    const all = [...syntheticStream({ runId, steps: 20 })];
    writeFileSync(file, all.slice(0, 10).join('\n') + '\n');
    const partial = all[10]!;
    appendFileSync(file, partial.slice(0, 25));
    await ingester.poll();
    expect(db.prepare('SELECT max(step) FROM points').pluck().get()).toBe(9);
    const before = db.prepare('SELECT count(*) FROM points').pluck().get();
    appendFileSync(file, partial.slice(25));
    await ingester.poll();
    expect(db.prepare('SELECT count(*) FROM points').pluck().get()).toBe(before);
    appendFileSync(file, '\n');
    await ingester.poll();
    expect(db.prepare('SELECT max(step) FROM points').pluck().get()).toBe(10);
    expectStoreMatchesFile(db, file);
  });

  it('records malformed lines with line number and offset, skips them and keeps going', async () => {
    const { db, file, ingester } = setup();
    const good = [...syntheticStream({ runId, steps: 5 })];
    const bad = [
      '{"type": "step", "step": 6, "loss": 1.0',
      '[1, 2, 3]',
      '{"type": "step", "loss": 2.0}',
      '{"no_type": 1}',
    ];
    const text =
      [good[0], good[1], bad[0], good[2], bad[1], bad[2], good[3], bad[3], good[4], good[5]].join('\n') + '\n';
    writeFileSync(file, text);
    const result = await ingester.poll();
    expect(result.cursor.errorCount).toBe(4);
    expect(result.cursor.lineCount).toBe(10);
    const errors = db
      .prepare('SELECT line_number, byte_offset, reason, excerpt FROM ingest_errors ORDER BY line_number')
      .all() as {
      line_number: number;
      byte_offset: number;
      reason: string;
      excerpt: string;
    }[];
    expect(errors.map((e) => e.line_number)).toEqual([3, 5, 6, 8]);
    for (const e of errors) expect(text.slice(e.byte_offset).startsWith(e.excerpt)).toBe(true);
    expect(errors[0]!.reason).toMatch(/not JSON/);
    expect(errors[1]!.reason).toMatch(/not a JSON object/);
    expect(errors[2]!.reason).toMatch(/"step" must be an integer/);
    expect(errors[3]!.reason).toMatch(/no "type"/);
    expect(db.prepare('SELECT DISTINCT step FROM points ORDER BY step').pluck().all()).toEqual([1, 2, 3, 4, 5]);
  });

  it('detects truncation and stops reading instead of skipping silently', async () => {
    const { db, file, ingester } = setup();
    writeFileSync(file, lines({ runId, steps: 50 }));
    await ingester.poll();
    truncateSync(file, 100);
    appendFileSync(file, lines({ runId, steps: 500 }));
    // Regrown past the old offset: only the head hash can tell (the case naive tailers miss).
    let result = await ingester.poll();
    expect(result.blocked).toMatch(/no longer starts with the bytes read before/);
    truncateSync(file, 10);
    result = await ingester.poll();
    expect(result.blocked).not.toBeNull();
    expect(db.prepare('SELECT kind FROM ingest_errors').pluck().all()).toEqual(['replaced']);
    expect(db.prepare('SELECT max(step) FROM points').pluck().get()).toBe(50);

    const second = setup();
    writeFileSync(second.file, lines({ runId, steps: 50 }));
    await second.ingester.poll();
    truncateSync(second.file, 1000);
    result = await second.ingester.poll();
    expect(result.blocked).toMatch(/truncated to 1000 bytes/);
    expect(second.db.prepare('SELECT kind, reason FROM ingest_errors').all()).toEqual([
      { kind: 'truncated', reason: expect.stringContaining('truncated') as unknown },
    ]);
  });

  it('detects a replaced file (new inode)', async () => {
    const { db, file, ingester } = setup();
    writeFileSync(file, lines({ runId, steps: 50 }));
    await ingester.poll();
    writeFileSync(`${file}.new`, lines({ runId, steps: 80 }));
    renameSync(`${file}.new`, file);
    const result = await ingester.poll();
    expect(result.blocked).toMatch(/replaced by another file \(inode/);
    expect(db.prepare('SELECT kind FROM ingest_errors').pluck().all()).toEqual(['replaced']);
    expect(db.prepare('SELECT max(step) FROM points').pluck().get()).toBe(50);
  });

  it('archives the points a resumed attempt supersedes, never duplicating a step', async () => {
    const { db, file, ingester, runKey } = setup();
    writeFileSync(file, lines({ runId, steps: 50, routerEvery: 10 }));
    await ingester.poll();
    appendFileSync(file, lines({ runId, steps: 40, firstStep: 31, attempt: 2, resumeStep: 30, routerEvery: 10 }));
    await ingester.poll();
    expectStoreMatchesFile(db, file);
    const archived = db.prepare('SELECT DISTINCT step FROM points WHERE archived = 1 ORDER BY step').pluck().all();
    expect(archived).toEqual(Array.from({ length: 20 }, (_, i) => 31 + i));
    expect(db.prepare('SELECT count(*) FROM router_stats WHERE archived = 1').pluck().get()).toBe(2 * 8);
    expect(db.prepare('SELECT attempt, resume_step FROM attempts ORDER BY attempt').all()).toEqual([
      { attempt: 1, resume_step: null },
      { attempt: 2, resume_step: 30 },
    ]);

    const q = new MetricsQueries(db);
    const visible = q.series({ runKey, runId, series: 'train/loss', maxPoints: 1000, includeArchived: false });
    expect(visible.mode).toBe('raw');
    if (visible.mode !== 'raw') return;
    expect(visible.points.map((p) => p.step)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(visible.points.filter((p) => p.step > 30).every((p) => p.attempt === 2)).toBe(true);
    const everything = q.series({ runKey, runId, series: 'train/loss', maxPoints: 1000, includeArchived: true });
    expect(everything.mode === 'raw' && everything.points.length).toBe(90);

    // A replay of the whole stream (cursor back to 0) is harmless: nothing duplicated, nothing lost.
    const writer = new IngestWriter(db);
    writer.cursors.resetTo0(runId, 'metrics');
    await ingester.poll();
    expectStoreMatchesFile(db, file);
  });
});

describe('two readers of one stream', () => {
  it('never count a line twice or move the cursor back', async () => {
    const { db, file, runKey } = setup();
    const other = openDatabase(db.name).db;
    const a = new StreamIngester(new IngestWriter(db), new LocalNode(), runKey, runId, file);
    const b = new StreamIngester(new IngestWriter(other), new LocalNode(), runKey, runId, file);
    const all = [...syntheticStream({ runId, steps: 400, routerEvery: 50, valEvery: 100 })];
    let text = '';
    for (let i = 0; i < all.length; i += 37) {
      const piece = [...all.slice(i, i + 37), '{"type": "step", "step": broken'].join('\n') + '\n';
      text += piece;
      appendFileSync(file, piece);
      await Promise.all([a.poll(), b.poll(), a.poll()]);
    }
    await b.poll();
    expectStoreMatchesFile(db, file);
    const cursor = db.prepare('SELECT byte_offset, line_count, error_count FROM ingest_cursors').get();
    const broken = Math.ceil(all.length / 37);
    expect(cursor).toEqual({
      byte_offset: Buffer.byteLength(text),
      line_count: all.length + broken,
      error_count: broken,
    });
    other.close();
  });

  it('refuses a commit from a reader whose cursor another one has moved', () => {
    const { db, runKey } = setup();
    const other = openDatabase(db.name).db;
    const first = new IngestWriter(db);
    const second = new IngestWriter(other);
    const start = first.cursors.get(runId, 'metrics');
    const lines = Buffer.from([...syntheticStream({ runId, steps: 3 })].join('\n') + '\n');
    const identity = { inode: 1, headLen: 10, headHash: 'x' };
    first.applyChunk(runKey, start, lines, identity);
    expect(() => second.applyChunk(runKey, start, lines.subarray(0, lines.indexOf(0x0a) + 1), identity)).toThrow(
      CursorMovedError,
    );
    expect(second.cursors.get(runId, 'metrics')).toMatchObject({ byteOffset: lines.length, lineCount: 4 });
    other.close();
  });
});

describe('MetricsQueries.series', () => {
  it('returns min, max and last per step bucket when the range holds more than maxPoints', async () => {
    const { db, file, ingester, runKey } = setup();
    writeFileSync(file, lines({ runId, steps: 1000 }));
    await ingester.poll();
    const q = new MetricsQueries(db);
    const data = q.series({ runKey, runId, series: 'train/loss', maxPoints: 100, includeArchived: false });
    expect(data.mode).toBe('buckets');
    if (data.mode !== 'buckets') return;
    expect(data.buckets).toHaveLength(100);
    const raw = q.series({ runKey, runId, series: 'train/loss', maxPoints: 5000, includeArchived: false });
    if (raw.mode !== 'raw') throw new Error('expected raw points');
    for (const b of data.buckets) {
      const inside = raw.points.filter((p) => p.step >= b.stepMin && p.step <= b.stepMax).map((p) => p.value!);
      expect(b.count).toBe(inside.length);
      expect(b.min).toBe(Math.min(...inside));
      expect(b.max).toBe(Math.max(...inside));
      expect(b.last).toBe(inside[inside.length - 1]);
    }
    expect(data.buckets.reduce((n, b) => n + b.count, 0)).toBe(1000);
    const window = q.series({
      runKey,
      runId,
      series: 'train/loss',
      from: 101,
      to: 150,
      maxPoints: 100,
      includeArchived: false,
    });
    expect(window.mode === 'raw' && window.points.map((p) => p.step)).toEqual(
      Array.from({ length: 50 }, (_, i) => 101 + i),
    );
  });
});

describe('MetricsQueries.router', () => {
  it('returns the router record at or before a step, and balance over time per layer', async () => {
    const { db, file, ingester, runKey } = setup();
    writeFileSync(file, lines({ runId, steps: 300, routerEvery: 50, layers: 3, experts: 4 }));
    await ingester.poll();
    const q = new MetricsQueries(db);
    const at = q.router(runKey, runId, 120, 1000);
    expect(at.snapshot?.step).toBe(100);
    expect(at.snapshot?.layers.map((l) => `${l.layer}/${l.kind}`)).toEqual([
      '0/attn',
      '0/mlp',
      '1/attn',
      '1/mlp',
      '2/attn',
      '2/mlp',
    ]);
    const layer = at.snapshot!.layers[0]!;
    expect(layer.load).toHaveLength(4);
    expect(layer.load.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(layer.byDomain?.copy).toHaveLength(4);
    expect(at.history).toHaveLength(6);
    expect(at.history[0]!.points.map((p) => p.step)).toEqual([50, 100, 150, 200, 250, 300]);
    expect(at.history[0]!.points[0]).toMatchObject({ cv: 0.06, dead: 0 });
    expect(q.router(runKey, runId, undefined, 1000).snapshot?.step).toBe(300);
    expect(q.router(runKey, runId, 10, 1000).snapshot).toBeNull();
    const thin = q.router(runKey, runId, undefined, 3);
    expect(thin.history[0]!.points.map((p) => p.step)).toEqual([100, 200, 300]);
  });
});

/**
 * Ingestion benchmark: a realistic metrics.jsonl of about 1M points ingested end to end (read +
 * parse + insert, through LocalNode and the real ingester) next to a bare better-sqlite3 batched insert
 * of the same rows into the same table, in the same run. Prints both rates and their ratio, then
 * times chart queries of a 1M-point series (level-of-detail summaries against a scan of every row).
 *
 *   npm run bench:ingest [-- --steps 83334 --reps 3]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../db/database.js';
import { LocalNode } from '../../nodes/local-node.js';
import { IngestWriter } from '../ingest-writer.js';
import { loadMigrations } from '../../db/migrations/index.js';
import { MetricsQueries } from '../queries.js';
import { seriesByRowScan } from '../series-row-scan.js';
import { StreamIngester } from '../stream-ingester.js';
import { syntheticStream } from './synthetic-stream.js';

const stepsArg = process.argv.indexOf('--steps');
const steps = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 83_334;
const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;
const runId = 'r-20261129-bench0';

function createRun(db: Db, dir: string): number {
  db.prepare(
    `INSERT INTO runs (id, name, node_id, state, remote_dir, created_at) VALUES (?, 'bench', 'local', 'running', ?, ?)`,
  ).run(runId, dir, Date.now() / 1000);
  return db.prepare('SELECT key FROM runs WHERE id = ?').pluck().get(runId) as number;
}

interface Chunk {
  fromStep: number;
  toStep: number;
}

/** Wall-clock and CPU (user + system) seconds of this process. */
interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** Collects garbage left by earlier phases (with --expose-gc), so each phase pays only for its own. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function startTimer(): () => Timing {
  collectGarbage();
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - wall) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
  };
}

async function endToEnd(dir: string, file: string): Promise<Timing & { points: number; chunks: Chunk[]; db: string }> {
  const path = join(dir, `e2e-${Date.now()}.db`);
  const { db } = openDatabase(path);
  const runKey = createRun(db, dir);
  const ingester = new StreamIngester(new IngestWriter(db), new LocalNode(), runKey, runId, file);
  const stop = startTimer();
  const result = await ingester.poll();
  const timing = stop();
  const points = db.prepare('SELECT count(*) FROM points').pluck().get() as number;
  db.close();
  const chunks = result.chunks.map((c) => ({ fromStep: c.fromStep ?? 0, toStep: c.toStep ?? 0 }));
  return { ...timing, points, chunks, db: path };
}

/** The rows the ingester wrote, batch by batch, in the order it wrote them (line by line). */
function rowsOf(path: string, chunks: Chunk[]): unknown[][][] {
  const db = new Database(path, { readonly: true });
  const select = db
    .prepare(
      `SELECT run_key, series_id, step, attempt, value, tokens, time FROM points WHERE step BETWEEN ? AND ?
       ORDER BY step, series_id`,
    )
    .raw();
  const batches = chunks.map((c) => select.all(c.fromStep, c.toStep) as unknown[][]);
  db.close();
  return batches;
}

function bare(dir: string, batches: unknown[][][]): Timing {
  const { db } = openDatabase(join(dir, `bare-${Date.now()}.db`));
  createRun(db, dir);
  const maxSeries = batches.flat().reduce((m, r) => Math.max(m, r[1] as number), 0);
  const addSeries = db.prepare('INSERT INTO series (id, name) VALUES (?, ?)');
  for (let i = 1; i <= maxSeries; i++) addSeries.run(i, `s${i}`);
  const insert = db.prepare(
    `INSERT INTO points (run_key, series_id, step, attempt, value, tokens, time) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  const batch = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(r);
  });
  const stop = startTimer();
  for (const rows of batches) batch.immediate(rows);
  const timing = stop();
  db.close();
  return timing;
}

/**
 * Chart queries over one 1M-point series: min/max/last per pixel column from the level-of-detail
 * summaries, next to the reference scan of every row (which must give the same answer). The points are
 * written into a database without summaries, which the summaries' migration then backfills.
 */
function queryBench(dir: string): void {
  const path = join(dir, `query-${Date.now()}.db`);
  const all = loadMigrations();
  const old = openDatabase(path, {
    migrations: all.slice(
      0,
      all.findIndex((m) => m.name.endsWith('_metric_summaries')),
    ),
  }).db;
  const runKey = createRun(old, dir);
  const series = old.prepare("INSERT INTO series (name) VALUES ('train/loss') RETURNING id").pluck().get() as number;
  const insert = old.prepare(
    'INSERT INTO points (run_key, series_id, step, attempt, value, tokens, time) VALUES (?, ?, ?, 1, ?, ?, ?)',
  );
  old.transaction(() => {
    for (let step = 1; step <= 1_000_000; step++)
      insert.run(
        runKey,
        series,
        step,
        3 + Math.sin(step / 1000) + (step % 977 === 0 ? 5 : 0),
        step * 4096,
        step * 0.05,
      );
  })();
  old.close();
  const stopMigration = startTimer();
  const { db } = openDatabase(path, { keepBackups: 0 });
  const migration = stopMigration();
  console.log(
    'upgrading a database of 1,000,000 points to the summaries (copy before migrating + backfill): ' +
      `${migration.seconds.toFixed(2)} s (${migration.cpuSeconds.toFixed(2)} CPU s)`,
  );
  const queries = new MetricsQueries(db);
  const time = (label: string, q: Parameters<MetricsQueries['series']>[0]): void => {
    const measure = (fn: () => ReturnType<MetricsQueries['series']>): { wall: number; cpu: number; answer: string } => {
      const wall: number[] = [];
      const cpu: number[] = [];
      let answer = '';
      for (let i = 0; i < 5; i++) {
        const stop = startTimer();
        const r = fn();
        const t = stop();
        wall.push(t.seconds * 1000);
        cpu.push(t.cpuSeconds * 1000);
        answer = JSON.stringify(r);
      }
      return { wall: median(wall), cpu: median(cpu), answer };
    };
    const lod = measure(() => queries.series(q));
    const scan = measure(() => seriesByRowScan(db, q));
    if (lod.answer !== scan.answer)
      throw new Error(`${label.trim()}: the summaries' answer differs from the row scan's`);
    const r = JSON.parse(lod.answer) as ReturnType<MetricsQueries['series']>;
    const size = r.mode === 'raw' ? `${r.points.length} rows` : `${r.buckets.length} buckets`;
    const ms = (x: number): string => x.toFixed(1).padStart(7);
    console.log(
      `${label.padEnd(40)} ${ms(lod.wall)} ms ${ms(lod.cpu)} ms   ${ms(scan.wall)} ms ${ms(scan.cpu)} ms   ${size}, same answer`,
    );
  };
  console.log('metrics:series on one series of 1,000,000 points (median of 5; wall clock, CPU):');
  console.log(`${''.padEnd(40)} ${'summaries (wall, CPU)'.padEnd(23)}  ${'row scan (wall, CPU)'.padEnd(23)}`);
  time('  whole series -> 1000 buckets', {
    runKey,
    runId,
    series: 'train/loss',
    maxPoints: 1000,
    includeArchived: false,
  });
  time('  whole series -> 3000 buckets', {
    runKey,
    runId,
    series: 'train/loss',
    maxPoints: 3000,
    includeArchived: false,
  });
  time('  steps 400k-500k -> 1000 buckets', {
    runKey,
    runId,
    series: 'train/loss',
    from: 400_000,
    to: 500_000,
    maxPoints: 1000,
    includeArchived: false,
  });
  time('  steps 400k-400.9k raw (900 points)', {
    runKey,
    runId,
    series: 'train/loss',
    from: 400_000,
    to: 400_899,
    maxPoints: 1000,
    includeArchived: false,
  });
  db.close();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'moewb-bench-'));
  try {
    const file = join(dir, 'metrics.jsonl');
    const lines = [...syntheticStream({ runId, steps, routerEvery: 50, valEvery: 100, checkpointEvery: 1000 })];
    writeFileSync(file, lines.join('\n') + '\n');
    const rates = { e2e: [] as number[], bare: [] as number[], e2eCpu: [] as number[], bareCpu: [] as number[] };
    let points = 0;
    for (let rep = 0; rep < reps; rep++) {
      const e2e = await endToEnd(dir, file);
      points = e2e.points;
      rates.e2e.push(points / e2e.seconds);
      rates.e2eCpu.push(points / e2e.cpuSeconds);
      const b = bare(dir, rowsOf(e2e.db, e2e.chunks));
      rates.bare.push(points / b.seconds);
      rates.bareCpu.push(points / b.cpuSeconds);
    }
    const mb = (lines.reduce((n, l) => n + l.length + 1, 0) / 1e6).toFixed(1);
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(9);
    const all = (xs: number[]): string => `[${xs.map((r) => Math.round(r / 1000)).join(', ')}]k`;
    console.log(
      `metrics.jsonl: ${lines.length} lines, ${mb} MB, ${points} points; ${reps} repetitions, medians (node ${process.version})`,
    );
    console.log(`                                     wall clock           per CPU second (user+system)`);
    console.log(
      `end to end (read + parse + insert): ${fmt(median(rates.e2e))} points/s   ` +
        `${fmt(median(rates.e2eCpu))} points/s   ${all(rates.e2e)}`,
    );
    console.log(
      `bare better-sqlite3 batched insert: ${fmt(median(rates.bare))} points/s   ` +
        `${fmt(median(rates.bareCpu))} points/s   ${all(rates.bare)}`,
    );
    console.log(
      `ratio end-to-end / bare:            ${((100 * median(rates.e2e)) / median(rates.bare)).toFixed(1).padStart(9)}%            ` +
        `${((100 * median(rates.e2eCpu)) / median(rates.bareCpu)).toFixed(1).padStart(9)}%`,
    );
    // Each repetition's end-to-end and bare phases run back to back, so their ratio is less exposed to the
    // machine's drift over the whole benchmark than the ratio of the two medians.
    const pairs = rates.e2e.map((r, i) => r / rates.bare[i]!);
    const pairsCpu = rates.e2eCpu.map((r, i) => r / rates.bareCpu[i]!);
    const pct = (xs: number[]): string => `[${xs.map((r) => (100 * r).toFixed(0)).join(', ')}]%`;
    console.log(
      `ratio per repetition, median:       ${(100 * median(pairs)).toFixed(1).padStart(9)}%            ` +
        `${(100 * median(pairsCpu)).toFixed(1).padStart(9)}%   ${pct(pairs)}`,
    );
    queryBench(dir);
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${cpus().length} CPUs`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

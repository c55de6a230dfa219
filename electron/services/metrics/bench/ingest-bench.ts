/**
 * Ingestion benchmark: a realistic metrics.jsonl of about 1M points ingested end to end (read +
 * parse + insert, through LocalNode and the real ingester) next to a bare better-sqlite3 batched insert
 * of the same rows into the same table, in the same run. Prints both rates and their ratio.
 *
 *   npm run bench:ingest [-- --steps 83334 --reps 3]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../db/database.js';
import { LocalNode } from '../../nodes/local-node.js';
import { IngestWriter } from '../ingest-writer.js';
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
  return (db.prepare('SELECT key FROM runs WHERE id = ?').pluck().get(runId) as number);
}

interface Chunk {
  fromStep: number;
  toStep: number;
}

async function endToEnd(dir: string, file: string): Promise<{ seconds: number; points: number; chunks: Chunk[]; db: string }> {
  const path = join(dir, `e2e-${Date.now()}.db`);
  const { db } = openDatabase(path);
  const runKey = createRun(db, dir);
  const ingester = new StreamIngester(new IngestWriter(db), new LocalNode(), runKey, runId, file);
  const t = process.hrtime.bigint();
  const result = await ingester.poll();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const points = db.prepare('SELECT count(*) FROM points').pluck().get() as number;
  db.close();
  const chunks = result.chunks.map((c) => ({ fromStep: c.fromStep ?? 0, toStep: c.toStep ?? 0 }));
  return { seconds, points, chunks, db: path };
}

/** The rows the ingester wrote, batch by batch, in the order it wrote them (series by series). */
function rowsOf(path: string, chunks: Chunk[]): unknown[][][] {
  const db = new Database(path, { readonly: true });
  const select = db
    .prepare(
      `SELECT run_key, series_id, step, attempt, value, tokens, time FROM points WHERE step BETWEEN ? AND ?
       ORDER BY series_id, step`,
    )
    .raw();
  const batches = chunks.map((c) => select.all(c.fromStep, c.toStep) as unknown[][]);
  db.close();
  return batches;
}

function bare(dir: string, batches: unknown[][][]): number {
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
  const t = process.hrtime.bigint();
  for (const rows of batches) batch.immediate(rows);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  db.close();
  return seconds;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'moewb-bench-'));
  try {
    const file = join(dir, 'metrics.jsonl');
    const lines = [...syntheticStream({ runId, steps, routerEvery: 50, valEvery: 100, checkpointEvery: 1000 })];
    writeFileSync(file, lines.join('\n') + '\n');
    // Alternate the two measurements and report medians: a machine busy with something else slows
    // both alike instead of one.
    const e2eRates: number[] = [];
    const bareRates: number[] = [];
    let points = 0;
    for (let rep = 0; rep < reps; rep++) {
      const e2e = await endToEnd(dir, file);
      points = e2e.points;
      e2eRates.push(e2e.points / e2e.seconds);
      const batches = rowsOf(e2e.db, e2e.chunks);
      bareRates.push(e2e.points / bare(dir, batches));
    }
    const mb = (lines.reduce((n, l) => n + l.length + 1, 0) / 1e6).toFixed(1);
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(9);
    console.log(`metrics.jsonl: ${lines.length} lines, ${mb} MB, ${points} points; ${reps} repetitions (node ${process.version})`);
    console.log(`end to end (read + parse + insert): median ${fmt(median(e2eRates))} points/s  [${e2eRates.map((r) => Math.round(r / 1000)).join(', ')}]k`);
    console.log(`bare better-sqlite3 batched insert: median ${fmt(median(bareRates))} points/s  [${bareRates.map((r) => Math.round(r / 1000)).join(', ')}]k`);
    console.log(`ratio end-to-end / bare (medians): ${((100 * median(e2eRates)) / median(bareRates)).toFixed(1)}%`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { openTestStore } from '../../test-support/store.js';
import { syntheticStream } from '../metrics/bench/synthetic-stream.js';
import { IngestWriter } from '../metrics/ingest-writer.js';
import { StreamIngester } from '../metrics/stream-ingester.js';
import { LocalNode } from '../nodes/local-node.js';
import { RunStore } from '../runs/run-store.js';
import { HistoryQueries, median } from './history-queries.js';

async function addRun(
  runs: RunStore,
  writer: IngestWriter,
  id: string,
  preset: string,
  steps: number,
  config: Record<string, unknown>,
): Promise<void> {
  const dir = tempDir('moewb-hist-');
  runs.create({
    id,
    name: `run ${id}`,
    nodeId: 'local',
    deploymentId: null,
    trainerHash: null,
    preset,
    overrides: {},
    flags: '',
    config: { flags: config },
    remoteDir: dir,
    tags: ['t'],
    notes: '',
  });
  const file = join(dir, 'metrics.jsonl');
  if (steps > 0) writeFileSync(file, [...syntheticStream({ runId: id, steps, valEvery: 5 })].join('\n') + '\n');
  else writeFileSync(file, '');
  await new StreamIngester(writer, new LocalNode(), runs.get(id).key, id, file).poll();
}

describe('history queries', () => {
  it('lists runs with their flags and the newest loss, val loss, tokens, throughput and trainer facts', async () => {
    const { db } = openTestStore();
    const runs = new RunStore(db);
    const writer = new IngestWriter(db);
    await addRun(runs, writer, 'r-20261129-aaaaaa', 'jetmoe-tiny', 20, { lr: 0.003, dtype: 'float32' });
    await addRun(runs, writer, 'r-20261129-bbbbbb', 'jetmoe-tiny', 0, { lr: 0.001 });
    const q = new HistoryQueries(db, runs);
    const list = q.list(100);
    expect(list.map((r) => r.id).sort()).toEqual(['r-20261129-aaaaaa', 'r-20261129-bbbbbb']);
    const a = list.find((r) => r.id === 'r-20261129-aaaaaa')!;
    const stored = (series: string, column = 'value'): unknown =>
      db
        .prepare(
          `SELECT p.${column} FROM points p JOIN series s ON s.id = p.series_id ` +
            'WHERE s.name = ? AND p.run_key = ? ORDER BY p.step DESC LIMIT 1',
        )
        .pluck()
        .get(series, runs.get(a.id).key);
    expect(a.config).toEqual({ lr: 0.003, dtype: 'float32' });
    expect(a.lastLoss).toBe(stored('train/loss'));
    expect(a.lastValLoss).toBe(stored('val/loss'));
    expect(a.tokens).toBe(stored('train/loss', 'tokens'));
    expect(a.tokensPerSec).toBe(stored('train/tokens_per_s'));
    expect(a.lastLoss).not.toBeNull();
    expect(a.worldSize).toBe(1);
    expect(a.device).toBe('cpu');
    expect(a.lastStep).toBe(20);
    const b = q.one('r-20261129-bbbbbb');
    expect(b.lastLoss).toBeNull();
    expect(b.config).toEqual({ lr: 0.001 });
  });

  it('measures throughput from earlier runs of the same preset on the same node only', async () => {
    const { db } = openTestStore();
    const runs = new RunStore(db);
    const writer = new IngestWriter(db);
    await addRun(runs, writer, 'r-20261129-cccccc', 'jetmoe-tiny', 30, {});
    await addRun(runs, writer, 'r-20261129-dddddd', 'jetmoe-small', 30, {});
    const q = new HistoryQueries(db, runs);
    const tiny = q.throughput('local', 'jetmoe-tiny');
    expect(tiny.runs).toBe(1);
    const recent = db
      .prepare(
        'SELECT value FROM points p JOIN series s ON s.id = p.series_id ' +
          "WHERE s.name = 'train/tokens_per_s' AND p.run_key = ? ORDER BY step DESC LIMIT 50",
      )
      .pluck()
      .all(runs.get('r-20261129-cccccc').key) as number[];
    expect(tiny.tokensPerSec).toBe(median(recent));
    expect(q.throughput('local', 'jetmoe-8b')).toMatchObject({ runs: 0, tokensPerSec: null });
    expect(q.throughput('gpu1', 'jetmoe-tiny').runs).toBe(0);
  });

  it('takes the median', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

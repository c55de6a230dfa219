import type { HistoryRun, MeasuredThroughput } from '../../contract/history.js';
import type { Db } from '../db/database.js';
import { toSummary, type RunStore, type StoredRun } from '../runs/run-store.js';

interface LastValues {
  run_key: number;
  loss: number | null;
  val_loss: number | null;
  tokens: number | null;
  tps: number | null;
  elapsed: number | null;
  header: string | null;
}

/** Median of a list (null when empty). */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Read-only queries over all runs: the history table and measured throughput. */
export class HistoryQueries {
  private readonly stmts;

  constructor(
    db: Db,
    private readonly runs: RunStore,
  ) {
    // Each "newest value" is one descending probe of the (run_key, series_id, step, attempt) key.
    const last = (series: string, column = 'value'): string =>
      `(SELECT p.${column} FROM points p WHERE p.run_key = r.key AND p.archived = 0
          AND p.series_id = (SELECT id FROM series WHERE name = '${series}') ORDER BY p.step DESC, p.attempt DESC LIMIT 1)`;
    this.stmts = {
      last: db.prepare(
        `SELECT r.key AS run_key, ${last('train/loss')} AS loss, ${last('val/loss')} AS val_loss,
           ${last('train/loss', 'tokens')} AS tokens, ${last('train/tokens_per_s')} AS tps,
           (SELECT sum(m) FROM (SELECT max(p.value) AS m FROM points p WHERE p.run_key = r.key
              AND p.series_id = (SELECT id FROM series WHERE name = 'train/elapsed') GROUP BY p.attempt)) AS elapsed,
           (SELECT a.header FROM attempts a WHERE a.run_id = r.id AND a.header IS NOT NULL ORDER BY a.attempt DESC LIMIT 1) AS header
         FROM runs r WHERE (@key IS NULL OR r.key = @key) ORDER BY r.created_at DESC, r.key DESC LIMIT @limit`,
      ),
      config: db.prepare('SELECT key, config FROM runs ORDER BY created_at DESC, key DESC LIMIT ?'),
      sameKind: db.prepare(
        `SELECT r.key, r.id FROM runs r WHERE r.node_id = ? AND r.preset = ? ORDER BY r.created_at DESC LIMIT 20`,
      ),
      recentTps: db
        .prepare(
          `SELECT value FROM points WHERE run_key = ? AND archived = 0 AND value IS NOT NULL
           AND series_id = (SELECT id FROM series WHERE name = 'train/tokens_per_s') ORDER BY step DESC LIMIT 50`,
        )
        .pluck(),
      header: db
        .prepare('SELECT header FROM attempts WHERE run_id = ? AND header IS NOT NULL ORDER BY attempt DESC LIMIT 1')
        .pluck(),
    };
  }

  /** Every run (newest first) with its flags and newest metrics. */
  list(limit: number): HistoryRun[] {
    const lastByKey = new Map<number, LastValues>();
    for (const row of this.stmts.last.all({ key: null, limit }) as LastValues[]) lastByKey.set(row.run_key, row);
    const configByKey = new Map<number, string>();
    for (const row of this.stmts.config.all(limit) as { key: number; config: string }[])
      configByKey.set(row.key, row.config);
    return this.runs
      .list(null, limit)
      .map((run) => this.toHistoryRun(run, lastByKey.get(run.key), configByKey.get(run.key)));
  }

  /** One run with its flags and newest metrics. */
  one(runId: string): HistoryRun {
    const run = this.runs.get(runId);
    const v = this.stmts.last.get({ key: run.key, limit: 1 }) as LastValues | undefined;
    return this.toHistoryRun(run, v, JSON.stringify(this.runs.configOf(runId)));
  }

  private toHistoryRun(run: StoredRun, v: LastValues | undefined, config: string | undefined): HistoryRun {
    const trainer = headerTrainer(v?.header ?? null);
    return {
      ...toSummary(run),
      config: flagsOf(config),
      lastLoss: v?.loss ?? null,
      lastValLoss: v?.val_loss ?? null,
      tokens: v?.tokens ?? null,
      tokensPerSec: v?.tps ?? null,
      elapsed: v?.elapsed ?? null,
      worldSize: trainer.worldSize,
      device: trainer.device,
    };
  }

  /** Median recent throughput of the newest runs of a preset on a node. */
  throughput(nodeId: string, preset: string): MeasuredThroughput {
    const perRun: number[] = [];
    let worldSize: number | null = null;
    let device: string | null = null;
    for (const run of this.stmts.sameKind.all(nodeId, preset) as { key: number; id: string }[]) {
      const m = median(this.stmts.recentTps.all(run.key) as number[]);
      if (m === null) continue;
      perRun.push(m);
      if (worldSize === null) {
        const t = headerTrainer((this.stmts.header.get(run.id) as string | undefined) ?? null);
        worldSize = t.worldSize;
        device = t.device;
      }
    }
    return { nodeId, preset, runs: perRun.length, tokensPerSec: median(perRun), worldSize, device };
  }
}

function flagsOf(configJson: string | undefined): HistoryRun['config'] {
  if (!configJson) return {};
  try {
    const parsed = JSON.parse(configJson) as { flags?: HistoryRun['config'] };
    return parsed.flags && typeof parsed.flags === 'object' ? parsed.flags : {};
  } catch {
    return {};
  }
}

function headerTrainer(header: string | null): { worldSize: number | null; device: string | null } {
  if (!header) return { worldSize: null, device: null };
  try {
    const h = JSON.parse(header) as { trainer?: { world_size?: unknown; device?: unknown } };
    return {
      worldSize: typeof h.trainer?.world_size === 'number' ? h.trainer.world_size : null,
      device: typeof h.trainer?.device === 'string' ? h.trainer.device : null,
    };
  } catch {
    return { worldSize: null, device: null };
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepName, writeFakeRun } from '../../test-support/fake-run.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';
import { openDatabase } from '../db/database.js';
import { LocalNode } from '../nodes/local-node.js';
import type { NodeHandle } from '../nodes/node.js';
import type { NodePool } from '../nodes/node-pool.js';
import { RunStore } from '../runs/run-store.js';
import { createWorkbench, type Workbench } from '../workbench.js';
import { CheckpointService } from './checkpoint-service.js';
import { CheckpointStore } from './checkpoint-store.js';

describe('checkpoints:delete', () => {
  it('removes the COMPLETE marker before the files: a delete cut short leaves no COMPLETE checkpoint', async () => {
    const run = writeFakeRun({
      steps: [4, 8],
      status: { state: 'stopped', message: 'stopped by SIGTERM' },
      exitCode: 0,
      state: 'stopped',
    });
    let workbench: Workbench | null = createWorkbench({
      dataDir: run.dataDir,
      trainerPath: run.trainer,
      transport: 'cli',
      version: '0.0.0-test',
      watchRuns: false,
    });
    const { call } = workbenchCalls(() => workbench!);
    await call('runs:refresh', { runId: run.runId });
    const [first] = await call('checkpoints:list', { runId: run.runId });
    await workbench.close();
    workbench = null;

    // The node dies (the command is cut off) at the first recursive removal.
    const local = new LocalNode();
    const seen: string[][] = [];
    const node = new Proxy(local, {
      get(target, prop, receiver) {
        if (prop !== 'exec') return Reflect.get(target, prop, receiver) as unknown;
        return async (argv: readonly string[], options?: object) => {
          seen.push([...argv]);
          if (argv[0] === 'rm' && argv.includes('-rf')) throw new Error('connection lost');
          return local.exec(argv, options);
        };
      },
    }) as NodeHandle;
    const { db } = openDatabase(join(run.dataDir, 'workbench.db'));
    const store = new CheckpointStore(db);
    const service = new CheckpointService({
      store,
      runs: new RunStore(db),
      pool: { get: async () => node } as unknown as NodePool,
      dataDir: run.dataDir,
      onProgress: () => undefined,
      onChanged: () => undefined,
    });
    await expect(service.delete(first!.id)).rejects.toThrow('connection lost');
    const dir = join(run.runDir, 'checkpoints', stepName(4));
    expect(seen.map((a) => a.slice(0, 2))).toEqual([
      ['rm', '-f'],
      ['rm', '-rf'],
    ]);
    expect(existsSync(join(dir, 'COMPLETE'))).toBe(false);
    expect(existsSync(join(dir, 'model.pt'))).toBe(true);
    expect(store.get(first!.id).status).toBe('deleted');
    // What is left is not a checkpoint to anyone: verify says so.
    expect((await service.verify(first!.id)).ok).toBe(false);
    db.close();
  });
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalProgress } from '../../contract/evals.js';
import { isFinalState } from '../../contract/runs.js';
import { managedPython, tempDir, trainerBinary } from '../../test-support/paths.js';
import { requireTrainer } from '../../test-support/trainer.js';
import { waitFor } from '../../test-support/wait.js';
import { createWorkbench, type Workbench } from '../workbench.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';

// The managed venv (torch, transformers, lm-eval) the trainer build uses; see docs/evaluation.md.
const python = managedPython();

let dataDir: string;
let workbench: Workbench;

const { call } = workbenchCalls(() => workbench);

/** A small multiple-choice task in lm-evaluation-harness's YAML format, with its data next to it. */
function writeTask(dir: string): number {
  const docs = [
    { query: '12+5=', choices: ['17', '71', '3'], gold: 0 },
    { query: '3*4=', choices: ['7', '12', '34'], gold: 1 },
    { query: 'c:abc=', choices: ['abc', 'cba', 'bca'], gold: 0 },
    { query: 'r:abc=', choices: ['abc', 'cba', 'acb'], gold: 1 },
    { query: '([{', choices: ['}])', ')]}', ']})'], gold: 0 },
    { query: 'the big cat', choices: [' runs .', ' cat .', ' the .'], gold: 0 },
  ];
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'wb_mc.jsonl');
  writeFileSync(data, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(
    join(dir, 'wb_mc.yaml'),
    [
      'task: wb_mc',
      'dataset_path: json',
      'dataset_kwargs:',
      '  data_files:',
      `    test: ${data}`,
      'test_split: test',
      'output_type: multiple_choice',
      'doc_to_text: "{{query}}"',
      'doc_to_choice: "{{choices}}"',
      'doc_to_target: gold',
      'target_delimiter: ""',
      'metric_list:',
      '  - metric: acc',
      '    aggregation: mean',
      '    higher_is_better: true',
      'metadata:',
      '  version: 1.0',
      '',
    ].join('\n'),
  );
  return docs.length;
}

beforeAll(() => {
  requireTrainer();
  if (!existsSync(python))
    throw new Error(
      `These tests need the managed Python with lm-eval at ${python}: bash native/scripts/python_env.sh ensure`,
    );
  dataDir = tempDir('moewb-lmeval-');
  workbench = createWorkbench({
    dataDir,
    trainerPath: trainerBinary,
    transport: 'cli',
    version: '0.0.0-test',
    evalPython: python,
  });
});

afterAll(async () => {
  await workbench?.close();
});

describe('lm-evaluation-harness on an exported checkpoint', { timeout: 300_000 }, () => {
  it('records the score the harness reports', async () => {
    const { run } = await call('runs:launch', {
      preset: 'jetmoe-tiny',
      overrides: {
        'micro-batch-size': '4',
        'seq-len': '64',
        'max-steps': '6',
        'warmup-steps': '2',
        'decay-steps': '2',
        'val-every': '0',
        'router-stats-every': '0',
      },
    });
    await waitFor(
      'the run to complete',
      async () => isFinalState((await call('runs:refresh', { runId: run.id })).state),
      120_000,
      200,
    );
    const [checkpoint] = await call('checkpoints:list', { runId: run.id });
    expect(checkpoint).toMatchObject({ step: 6, status: 'complete' });

    const tasks = join(tempDir('moewb-tasks-'), 'tasks');
    const n = writeTask(tasks);
    const phases: EvalProgress['phase'][] = [];
    const off = workbench.events.on('evals:progress', (p) => phases.push(p.phase));
    const job = await call('evals:run', {
      checkpointId: checkpoint!.id,
      kind: 'lm-eval',
      tasks: ['wb_mc'],
      localTasksDir: tasks,
      wait: true,
    });
    off();
    expect(job, job.message ?? '').toMatchObject({ state: 'done', kind: 'lm-eval', tasks: ['wb_mc'] });
    expect(phases).toEqual(['queued', 'export', 'evaluate', 'store', 'done']);
    expect(existsSync(join(run.remoteDir, 'exports', 'step-00000006', 'model.safetensors'))).toBe(true);

    // The harness's own results file, written by lm_eval_run.py --output.
    const harness = JSON.parse(readFileSync(join(run.remoteDir, 'evals', `job-${job.id}.json`), 'utf8')) as {
      results: Record<string, Record<string, unknown>>;
      'n-samples': Record<string, { effective: number }>;
    };
    expect(harness['n-samples'].wb_mc?.effective).toBe(n);
    const stored = await call('evals:list', { runId: run.id });
    const acc = stored.find((r) => r.task === 'wb_mc' && r.metric === 'acc');
    expect(acc).toMatchObject({ kind: 'lm-eval', step: 6, jobId: job.id });
    expect(acc?.value).toBe(harness.results.wb_mc?.['acc,none']);
    expect(stored.find((r) => r.metric === 'acc_stderr')?.value).toBe(harness.results.wb_mc?.['acc_stderr,none']);
    const board = await call('evals:leaderboard', { tasks: ['wb_mc'] });
    expect(board.rows).toEqual([
      expect.objectContaining({ checkpointId: checkpoint!.id, scores: { 'wb_mc/acc': acc!.value } }),
    ]);
    const series = await call('evals:series', { runIds: [run.id], task: 'wb_mc', metric: 'acc' });
    expect(series[0]?.points).toEqual([{ checkpointId: checkpoint!.id, step: 6, tokens: 6 * 256, value: acc!.value }]);
  });
});

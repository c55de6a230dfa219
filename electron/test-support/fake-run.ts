import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchScript } from '../services/runs/launch-script.js';
import { openDatabase } from '../services/db/database.js';
import { NodeStore } from '../services/nodes/node-store.js';
import { RunStore } from '../services/runs/run-store.js';
import { tempDir } from './paths.js';
import { writeStandInTrainer } from './stand-in-trainer.js';

/** A run directory on This machine as a finished trainer leaves it, without running the trainer. */
export interface FakeRun {
  dataDir: string;
  runId: string;
  runDir: string;
  /** The stand-in trainer the workbench is to be created with. */
  trainer: string;
}

/** A checkpoint directory name, `step-0000NNNN`. */
export const stepName = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/**
 * Writes a run row (in `state`) into a fresh data directory and a run directory with a launch
 * wrapper around the stand-in trainer, complete checkpoints at `steps` (model.pt with MANIFEST and
 * COMPLETE), and a metrics stream of one attempt with those checkpoints and a final `status` record.
 * Nothing runs: the directory looks like one whose wrapper recorded `exitCode`.
 */
export function writeFakeRun(o: {
  steps: number[];
  status: { state: string; message: string };
  exitCode: number;
  /** The run's stored state (it may contradict the directory on purpose). */
  state: 'running' | 'stopped' | 'failed' | 'completed';
}): FakeRun {
  const dataDir = tempDir('moewb-fake-');
  const runId = 'r-20260101-fa4e00';
  const runDir = join(dataDir, 'runs', runId);
  const trainer = writeStandInTrainer(dataDir);
  mkdirSync(join(runDir, 'attempts'), { recursive: true });
  writeFileSync(join(runDir, 'launch.sh'), launchScript({ runDir, runId, trainer }), { mode: 0o755 });
  writeFileSync(join(runDir, 'run.flags'), '--max-steps=100\n');
  writeFileSync(join(runDir, 'stand-in.mode'), 'exit:0');
  writeFileSync(join(runDir, 'exit_code'), `${o.exitCode}\n`);
  writeFileSync(join(runDir, 'attempts', '1.json'), '{"attempt": 1, "pid": 1, "started_at": 1}\n');
  const t = 1_767_225_600;
  const lines: object[] = [{ type: 'header', schema: 1, run_id: runId, attempt: 1, time: t, resume: null }];
  for (const step of o.steps) {
    const dir = join(runDir, 'checkpoints', stepName(step));
    mkdirSync(dir, { recursive: true });
    const model = Buffer.alloc(4096, step);
    writeFileSync(join(dir, 'model.pt'), model);
    const sha1 = createHash('sha1').update(model).digest('hex');
    writeFileSync(join(dir, 'MANIFEST'), `format 1\nstep ${step}\nfile model.pt ${model.length} ${sha1}\n`);
    writeFileSync(join(dir, 'COMPLETE'), '');
    lines.push({ type: 'step', step, loss: 2, time: t + step });
    lines.push({
      type: 'checkpoint',
      step,
      path: `checkpoints/${stepName(step)}`,
      bytes: model.length,
      reason: 'interval',
      time: t + step,
    });
  }
  const last = Math.max(0, ...o.steps);
  lines.push({ type: 'status', state: o.status.state, step: last, time: t + last + 1, message: o.status.message });
  writeFileSync(join(runDir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));

  const { db } = openDatabase(join(dataDir, 'workbench.db'));
  new NodeStore(db); // "This machine", which the run row refers to
  const runs = new RunStore(db);
  runs.create({
    id: runId,
    name: 'fake',
    nodeId: 'local',
    deploymentId: null,
    trainerHash: null,
    preset: 'jetmoe-tiny',
    overrides: {},
    flags: '--max-steps=100\n',
    config: {},
    remoteDir: runDir,
    tags: [],
    notes: '',
  });
  runs.setState(runId, { state: o.state, message: null });
  db.close();
  return { dataDir, runId, runDir, trainer };
}

import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { CheckpointVerifyResult } from '../../contract/checkpoints.js';
import type { EvalEverySetting } from '../../contract/evals.js';
import type { RunSummary } from '../../contract/runs.js';
import { isFinalState, type ForkRequest, type LaunchRequest } from '../../contract/runs.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { Deployer } from '../deploy/deployer.js';
import type { DeploymentStore } from '../deploy/deployment-store.js';
import { ServiceError } from '../errors.js';
import { logindScript, logindWarning, parseKeyValues } from '../nodes/logind.js';
import type { NodeHandle } from '../nodes/node.js';
import type { NodePool } from '../nodes/node-pool.js';
import type { NodeStore } from '../nodes/node-store.js';
import { annealFlags, dataMixFlags, trainerFlagNames, type ParsedAnneal } from './fork.js';
import { detachCommand, launchScript } from './launch-script.js';
import { observe, type Observation } from './liveness.js';
import type { RunMonitor } from './monitor.js';
import { toSummary, type RunStore, type StoredRun } from './run-store.js';
import { resolveConfig } from './trainer-config.js';

/** What launching needs. */
export interface LauncherDeps {
  runs: RunStore;
  nodes: NodeStore;
  pool: NodePool;
  deployments: DeploymentStore;
  deployer: Deployer | null;
  monitor: RunMonitor;
  checkpoints: CheckpointStore;
  /** Re-checks a checkpoint's files against its MANIFEST on the node (CheckpointService.verify). */
  verifyCheckpoint: (checkpointId: number) => Promise<CheckpointVerifyResult>;
  /** Local runs live in `<dataDir>/runs/<run_id>`. */
  dataDir: string;
  /** The trainer binary This machine runs. */
  localTrainer: string;
  onChanged: (run: RunSummary) => void;
}

/** A new run id: `r-<yyyymmdd>-<6 hex>`. */
export function newRunId(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `r-${day}-${randomBytes(3).toString('hex')}`;
}

/** Parsed request of runs:launch (defaults applied). */
export type ParsedLaunch = Required<Omit<LaunchRequest, 'name' | 'evalEvery'>> & {
  name?: string;
  overrides: Record<string, string>;
  evalEvery?: EvalEveryInput;
};

/** The evalEvery option as the request schema delivers it. */
export type EvalEveryInput = Omit<EvalEverySetting, 'limit' | 'localTasksDir'> & {
  limit?: number;
  localTasksDir?: string;
};

/** Parsed request of runs:fork (defaults applied). */
export type ParsedFork = Required<Omit<ForkRequest, 'name' | 'anneal' | 'dataMix' | 'evalEvery'>> & {
  name?: string;
  overrides: Record<string, string>;
  anneal?: ParsedAnneal;
  dataMix?: string;
  evalEvery?: EvalEveryInput;
};

/** A fork's origin, recorded on the new run. */
interface Lineage {
  parentRunId: string;
  parentCheckpointId: number;
}

function evalSetting(e: EvalEveryInput | undefined): EvalEverySetting | null {
  return e
    ? { tokens: e.tokens, kind: e.kind, tasks: e.tasks, limit: e.limit ?? null, localTasksDir: e.localTasksDir ?? null }
    : null;
}

/** The refusal of a stop or kill of a run with nothing live: says how it ended, when it has. */
function nothingLive(run: StoredRun, what: string): ServiceError {
  if (isFinalState(run.state)) {
    return new ServiceError(
      'conflict',
      `Run ${run.id} has already ended: ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}.`,
      run.state === 'completed'
        ? 'Nothing to do.'
        : `Resume it with \`moewb runs resume ${run.id}\` if you want it back.`,
    );
  }
  return new ServiceError(
    'conflict',
    `Run ${run.id} has ${what}; it is ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}.`,
    `Look again in a few seconds (\`moewb runs show ${run.id}\`).`,
  );
}

/** Launches, stops, kills and resumes runs on their nodes. */
export class Launcher {
  constructor(private readonly d: LauncherDeps) {}

  /** Validates, writes the run directory, starts the wrapper detached and starts watching. */
  async launch(req: ParsedLaunch, lineage?: Lineage): Promise<{ run: RunSummary; warnings: string[] }> {
    const profile = this.d.nodes.get(req.nodeId);
    const node = await this.d.pool.get(profile.id);
    const trainer = await this.trainer(node);
    if ((await node.stat(trainer.binary)) === null) {
      throw new ServiceError(
        'trainer_missing',
        `There is no trainer binary at ${trainer.binary} on "${profile.name}".`,
        node.kind === 'local'
          ? 'Build it with `bash native/scripts/build.sh` (or `moewb deploy local`).'
          : `Deploy it again (\`moewb deploy ${profile.id}\`).`,
      );
    }
    const config = await resolveConfig(node, trainer.binary, req.preset, req.overrides);
    const runId = newRunId();
    const base =
      node.kind === 'local'
        ? posix.join(this.d.dataDir, 'runs')
        : posix.join(await node.homeDir(), '.moe-workbench', 'runs');
    const runDir = posix.join(base, runId);
    const name = req.name ?? `${req.preset} ${runId.slice(-6)}`;
    await node.mkdirp(runDir);
    const runJson = {
      format: 1,
      run_id: runId,
      name,
      created_at: Math.floor(Date.now() / 1000),
      preset: req.preset,
      overrides: req.overrides,
      trainer_hash: trainer.hash,
      launcher: 'single',
    };
    await node.writeFileAtomic(posix.join(runDir, 'run.json'), JSON.stringify(runJson, null, 1) + '\n');
    await node.writeFileAtomic(posix.join(runDir, 'run.flags'), config.flagsText);
    await node.writeFileAtomic(
      posix.join(runDir, 'launch.sh'),
      launchScript({ runDir, runId, trainer: trainer.binary }),
      0o755,
    );
    this.d.runs.create({
      id: runId,
      name,
      nodeId: profile.id,
      deploymentId: trainer.deploymentId,
      trainerHash: trainer.hash,
      preset: req.preset,
      overrides: req.overrides,
      flags: config.flagsText,
      config: config.json,
      remoteDir: runDir,
      tags: req.tags,
      notes: req.notes,
      parentRunId: lineage?.parentRunId ?? null,
      parentCheckpointId: lineage?.parentCheckpointId ?? null,
      evalEvery: evalSetting(req.evalEvery),
    });
    const warnings = await this.logindWarnings(node, profile.name);
    await this.start(node, this.d.runs.get(runId));
    return { run: toSummary(this.d.runs.get(runId)), warnings };
  }

  /** SIGTERM to the trainer; it checkpoints and exits 0. */
  async stop(runId: string): Promise<RunSummary> {
    const { run, node, seen } = await this.look(runId);
    if (seen.trainer !== 'match' || seen.trainerPid === null) throw nothingLive(run, 'no running trainer to stop');
    await this.signal(node, ['kill', '-TERM', String(seen.trainerPid)]);
    const changed = this.d.runs.setState(run.id, {
      state: 'stopping',
      message: 'stop requested (SIGTERM)',
      stopRequested: true,
    });
    this.d.onChanged(toSummary(changed));
    this.d.monitor.watch(run.id);
    return toSummary(changed);
  }

  /** SIGKILL to the run's process group: no checkpoint. */
  async kill(runId: string): Promise<RunSummary> {
    const { run, node, seen } = await this.look(runId);
    if (seen.wrapper !== 'match' && seen.trainer !== 'match') throw nothingLive(run, 'no live process to kill');
    // The wrapper leads its own process group (setsid); the trainer is in it.
    if (seen.wrapper === 'match' && seen.wrapperPid !== null)
      await this.signal(node, ['kill', '-KILL', '--', `-${seen.wrapperPid}`]);
    if (seen.trainer === 'match' && seen.trainerPid !== null)
      await this.signal(node, ['kill', '-KILL', String(seen.trainerPid)], true);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const now = await observe(node, run.remoteDir, run.id);
      if (now.trainer !== 'match' && now.wrapper !== 'match') break;
      if (Date.now() > deadline) {
        throw new ServiceError(
          'remote_failed',
          `Run ${runId} is still alive 10 s after SIGKILL.`,
          'Check the node: the process may be stuck in the kernel (D state).',
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const changed = this.d.runs.setState(run.id, {
      state: 'failed',
      message: 'killed on request (SIGKILL); no checkpoint was written',
      stopRequested: true,
      endedAt: Date.now() / 1000,
      exitCode: null,
    });
    this.d.onChanged(toSummary(changed));
    return toSummary(changed);
  }

  /**
   * Starts a new attempt of a stopped or failed run: from the given checkpoint of the run (`--resume
   * PATH`), or from the newest complete one. A chosen checkpoint is verified against its MANIFEST
   * first; only once it verifies are the newer checkpoints of the abandoned history set aside as
   * `checkpoints/abandoned-step-N-<time>`, so no later `--resume auto` can pick them.
   */
  async resume(runId: string, checkpointId?: number): Promise<RunSummary> {
    const { run, node, seen } = await this.look(runId);
    if (!seen.dirExists) {
      throw new ServiceError(
        'not_found',
        `Cannot resume run ${runId}: the run directory is gone from the node (${run.remoteDir}).`,
        'Launch a new run, or fork one of its checkpoints that was downloaded.',
      );
    }
    if (!isFinalState(run.state) || seen.trainer === 'match' || seen.wrapper === 'match') {
      throw new ServiceError(
        'conflict',
        `Run ${runId} is still ${run.state === 'failed' ? 'alive on its node' : run.state}.`,
        'Stop it first.',
      );
    }
    if (run.state === 'completed') {
      throw new ServiceError(
        'conflict',
        `Run ${runId} completed its planned steps.`,
        'Launch a new run (or fork this one) to train further.',
      );
    }
    let from: string | null = null;
    if (checkpointId !== undefined) {
      const c = this.usableCheckpoint(runId, checkpointId);
      if ((await node.stat(posix.join(c.remotePath, 'COMPLETE'))) === null) {
        throw new ServiceError(
          'conflict',
          `Checkpoint step ${c.step} is not complete on the node (${c.remotePath}).`,
          'Verify it (`moewb checkpoints verify`) or pick another checkpoint.',
        );
      }
      // The trainer would refuse a damaged checkpoint only after the newer ones had left the resume
      // path: check sizes and SHA-1s first, so a refusal leaves the run as it was.
      const verified = await this.d.verifyCheckpoint(c.id);
      if (!verified.ok) {
        throw new ServiceError(
          'conflict',
          `Cannot resume run ${runId} from checkpoint step ${c.step}: ` +
            `${verified.checkpoint.verifyMessage ?? verified.message}.`,
          'Nothing was changed; resume from another checkpoint (`moewb checkpoints list`), or without --checkpoint.',
        );
      }
      await this.setAsideNewer(node, run.remoteDir, c.step, runId);
      from = c.remotePath;
    }
    // The previous attempt's exit code and pids must not be read as this attempt's.
    const stale = ['exit_code', 'trainer.pid', 'wrapper.pid', 'resume.next'].map((f) => posix.join(run.remoteDir, f));
    const cleared = await node.exec(['rm', '-f', '--', ...stale]);
    if (cleared.code !== 0)
      throw new ServiceError(
        'remote_failed',
        `Cannot clear the previous exit code: ${cleared.stderr.toString('utf8')}`,
      );
    if (from !== null) {
      // Runs launched by an older workbench have a wrapper that does not read resume.next.
      const wrapper = posix.join(run.remoteDir, 'launch.sh');
      if (!(await node.readFile(wrapper)).toString('utf8').includes('resume.next')) {
        await node.writeFileAtomic(
          wrapper,
          launchScript({ runDir: run.remoteDir, runId, trainer: (await this.trainer(node)).binary }),
          0o755,
        );
      }
      await node.writeFileAtomic(posix.join(run.remoteDir, 'resume.next'), `${from}\n`);
    }
    this.d.runs.setState(run.id, {
      state: 'launching',
      message: null,
      stopRequested: false,
      endedAt: null,
      exitCode: null,
    });
    await this.start(node, this.d.runs.get(runId));
    return toSummary(this.d.runs.get(runId));
  }

  /** A new run on the same node from a checkpoint of `req.runId`: `--fork-from`, lineage, optional anneal. */
  async fork(req: ParsedFork): Promise<{ run: RunSummary; warnings: string[] }> {
    const parent = this.d.runs.get(req.runId);
    const c = this.usableCheckpoint(req.runId, req.checkpointId);
    const node = await this.d.pool.get(parent.nodeId);
    if ((await node.stat(posix.join(c.remotePath, 'COMPLETE'))) === null) {
      throw new ServiceError(
        'conflict',
        `Checkpoint step ${c.step} is not complete on the node (${c.remotePath}).`,
        'Pick another checkpoint of the run.',
      );
    }
    if (parent.preset === null)
      throw new ServiceError('conflict', `Run ${parent.id} has no preset to fork from.`, 'Launch a new run instead.');
    const wantsMix = req.dataMix !== undefined || req.anneal?.dataMixPhase2 !== undefined;
    const mix = wantsMix
      ? dataMixFlags(
          await trainerFlagNames(node, (await this.trainer(node)).binary),
          req.dataMix,
          req.anneal?.dataMixPhase2,
        )
      : {};
    const overrides: Record<string, string> = {
      ...parent.overrides,
      ...req.overrides,
      ...(req.anneal ? annealFlags(req.anneal) : {}),
      ...mix,
      'fork-from': c.remotePath,
      'fork-optimizer': String(req.forkOptimizer),
    };
    const what = req.anneal ? 'anneal' : 'fork';
    return this.launch(
      {
        nodeId: parent.nodeId,
        preset: parent.preset,
        overrides,
        name: req.name ?? `${parent.name} ${what} @${c.step}`,
        tags: req.tags,
        notes: req.notes,
        ...(req.evalEvery ? { evalEvery: req.evalEvery } : {}),
      },
      { parentRunId: parent.id, parentCheckpointId: c.id },
    );
  }

  /** A complete checkpoint of the run, or a clear error. */
  private usableCheckpoint(runId: string, checkpointId: number): ReturnType<CheckpointStore['get']> {
    const c = this.d.checkpoints.get(checkpointId);
    if (c.runId !== runId) {
      throw new ServiceError(
        'invalid_request',
        `Checkpoint ${checkpointId} belongs to run ${c.runId}, not ${runId}.`,
        `List the checkpoints of ${runId} (\`moewb checkpoints list ${runId}\`).`,
      );
    }
    if (c.status !== 'complete') {
      throw new ServiceError(
        'conflict',
        `Checkpoint step ${c.step} of run ${runId} is ${c.status}.`,
        'Pick a complete checkpoint (`moewb checkpoints list`).',
      );
    }
    return c;
  }

  /** Renames the run's step directories after `step` so `--resume auto` never returns to that history. */
  private async setAsideNewer(node: NodeHandle, remoteDir: string, step: number, runId: string): Promise<void> {
    const dir = posix.join(remoteDir, 'checkpoints');
    const stamp = Math.floor(Date.now() / 1000);
    for (const name of await node.list(dir)) {
      const m = /^step-(\d+)$/.exec(name);
      if (!m || Number(m[1]) <= step) continue;
      const r = await node.exec(['mv', '--', posix.join(dir, name), posix.join(dir, `abandoned-${name}-${stamp}`)]);
      if (r.code !== 0)
        throw new ServiceError(
          'remote_failed',
          `Cannot set aside ${name}: ${r.stderr.toString('utf8').trim()}`,
          'Check the permissions of the run directory.',
        );
    }
    for (const c of this.d.checkpoints.list(runId)) {
      if (c.step > step && c.status === 'complete') this.d.checkpoints.setStatus(c.id, 'deleted');
    }
  }

  /** The binary and source hash the node runs. */
  async trainer(node: NodeHandle): Promise<{ binary: string; hash: string | null; deploymentId: number | null }> {
    if (node.kind === 'local') {
      const ready = this.d.deployments.latestReady(node.id);
      let hash = ready?.trainerHash ?? null;
      try {
        hash = this.d.deployer?.sources().hash ?? hash;
      } catch {
        // No sources next to this workbench (an installed app without them): the binary is what we have.
      }
      return { binary: this.d.localTrainer, hash, deploymentId: ready?.id ?? null };
    }
    const ready = this.d.deployments.latestReady(node.id);
    if (!ready) {
      const name = this.d.nodes.get(node.id).name;
      throw new ServiceError(
        'trainer_missing',
        `The trainer is not deployed on "${name}".`,
        `Deploy it first (\`moewb deploy ${node.id}\`).`,
      );
    }
    return {
      binary: posix.join(ready.remoteDir, 'native', 'build', 'moetrain'),
      hash: ready.trainerHash,
      deploymentId: ready.id,
    };
  }

  /** Starts the wrapper detached and waits until it has recorded the trainer (or its exit). */
  private async start(node: NodeHandle, run: StoredRun): Promise<void> {
    const started = await node.exec(['sh', '-c', detachCommand(run.remoteDir)], { timeoutMs: 30_000 });
    if (started.code !== 0) {
      const changed = this.d.runs.setState(run.id, {
        state: 'failed',
        message: `the launch wrapper could not be started: ${started.stderr.toString('utf8').trim()}`,
      });
      this.d.onChanged(toSummary(changed));
      throw new ServiceError(
        'remote_failed',
        `Starting run ${run.id} failed: ${started.stderr.toString('utf8').trim()}`,
      );
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const seen = await observe(node, run.remoteDir, run.id);
      if (seen.trainerPid !== null || seen.exitCode !== null || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.d.monitor.watch(run.id, true);
    await this.d.monitor.refresh(run.id);
    this.d.onChanged(toSummary(this.d.runs.get(run.id)));
  }

  /**
   * The run as its directory shows it now. A stored state that is not final may be stale (the run
   * ended while nobody watched): it is refreshed from the stream and the node before anyone acts on it.
   */
  private async look(runId: string): Promise<{ run: StoredRun; node: NodeHandle; seen: Observation }> {
    let run = this.d.runs.get(runId);
    if (!isFinalState(run.state)) {
      run = await this.d.monitor.refresh(runId);
      this.d.onChanged(toSummary(run));
    }
    const node = await this.d.pool.get(run.nodeId);
    return { run, node, seen: await observe(node, run.remoteDir, run.id) };
  }

  private async signal(node: NodeHandle, argv: string[], mayBeGone = false): Promise<void> {
    const r = await node.exec(argv, { timeoutMs: 30_000 });
    if (r.code !== 0 && !mayBeGone) {
      throw new ServiceError('remote_failed', `\`${argv.join(' ')}\` failed: ${r.stderr.toString('utf8').trim()}`);
    }
  }

  private async logindWarnings(node: NodeHandle, nodeName: string): Promise<string[]> {
    const r = await node.exec(['sh', '-c', logindScript], { timeoutMs: 30_000 }).catch(() => null);
    const warning = r ? logindWarning(parseKeyValues(r.stdout.toString('utf8')), nodeName) : null;
    return warning ? [warning] : [];
  }
}

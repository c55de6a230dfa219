import { existsSync, mkdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../contract/app.js';
import { appHandlers } from './app-handlers.js';
import { CheckpointService } from './checkpoints/checkpoint-service.js';
import { CheckpointStore } from './checkpoints/checkpoint-store.js';
import { checkpointsHandlers } from './checkpoints/handlers.js';
import { configHandlers } from './config/handlers.js';
import type { BackgroundCheck } from './db/background-check.js';
import { openDatabase, type Db } from './db/database.js';
import { explainDatabaseError } from './db/db-errors.js';
import { guardHandlers } from './db/guard.js';
import { Deployer, type LocalDeployMode } from './deploy/deployer.js';
import { DeploymentStore } from './deploy/deployment-store.js';
import { deployHandlers } from './deploy/handlers.js';
import { EvalService } from './evals/eval-service.js';
import { EvalStore } from './evals/eval-store.js';
import { evalsHandlers } from './evals/handlers.js';
import { historyHandlers } from './history/handlers.js';
import { HistoryQueries } from './history/history-queries.js';
import { metricsHandlers } from './metrics/handlers.js';
import { IngestWriter } from './metrics/ingest-writer.js';
import { MetricsQueries } from './metrics/queries.js';
import { nodesHandlers } from './nodes/handlers.js';
import { NodePool, type NodeConnector } from './nodes/node-pool.js';
import { NodeStore } from './nodes/node-store.js';
import { sshConnector } from './nodes/ssh-connector.js';
import type { Handlers } from './rpc/handlers.js';
import { runsHandlers } from './runs/handlers.js';
import { Launcher } from './runs/launcher.js';
import { RunMonitor, type MonitorTiming } from './runs/monitor.js';
import { RunStore, toSummary } from './runs/run-store.js';
import { MemorySecretStore, type SecretStore } from './secrets/secret-store.js';
import { SettingsStore, settingsHandlers } from './settings/settings-store.js';
import { sshconfigHandlers } from './sshconfig/handlers.js';
import type { SshServices, SshServicesOptions } from './ssh/ssh-services.js';
import { EventBus } from './util/event-bus.js';

/** Everything the services need from their host; nothing here comes from Electron. */
export interface WorkbenchOptions {
  /** Directory for the database and local runs; created when missing. */
  dataDir: string;
  /** Path of the local `moetrain` binary ("This machine"). */
  trainerPath: string;
  /** Which transport serves the UI. */
  transport: AppInfo['transport'];
  /** The workbench's own version. */
  version: string;
  /** Where remembered SSH passphrases and passwords live (default: memory only, until the process ends). */
  secrets?: SecretStore;
  /** SSH settings for tests and hosts: home directory, prompter, agent, known_hosts files, timings. */
  ssh?: Partial<Omit<SshServicesOptions, 'dataDir' | 'secrets'>>;
  /** Opens SSH nodes; replaces the SSH layer (default: SshNode through the SSH layer). */
  connectNode?: NodeConnector;
  /** Root holding native/ and resources/presets for deploys (default: the checkout or app this code is in). */
  sourceRoot?: string;
  /** How This machine deploys (default `in-place`: builds the checkout's native/). */
  localDeployMode?: LocalDeployMode;
  /** Watch the runs that are not final, from the start (default true; the CLI watches on demand). */
  watchRuns?: boolean;
  /** Poll timings of the run monitor. */
  monitorTiming?: Partial<MonitorTiming>;
  /** Python with lm-evaluation-harness for This machine (default: the managed venv, else python3). */
  evalPython?: string;
}

/** The assembled services: request handlers, push events, and shutdown. */
export interface Workbench {
  readonly handlers: Handlers;
  readonly events: EventBus;
  close(): Promise<void>;
}

/** The nearest folder above this module holding native/ (the checkout or the installed app). */
function defaultSourceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'electron'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Builds the services for one workbench process. */
export function createWorkbench(options: WorkbenchOptions): Workbench {
  mkdirSync(options.dataDir, { recursive: true });
  const dbPath = join(options.dataDir, 'workbench.db');
  // A `moewb` command ends too soon to copy a large database in the background; the app takes that copy.
  const { db, background } = openDatabase(dbPath, { backgroundBackup: options.transport !== 'cli' });
  try {
    return assemble(options, db, dbPath, background);
  } catch (err) {
    background?.stop();
    db.close();
    throw explainDatabaseError(err, dbPath);
  }
}

function assemble(options: WorkbenchOptions, db: Db, dbPath: string, background: BackgroundCheck | null): Workbench {
  const events = new EventBus();
  const nodes = new NodeStore(db);
  // The SSH layer (and ssh2) loads on first use of an SSH node: local-only work, like most `moewb`
  // commands, starts faster without it.
  let ssh: Promise<SshServices> | null = null;
  const sshServices = (): Promise<SshServices> =>
    (ssh ??= import('./ssh/ssh-services.js').then(({ createSshServices }) =>
      createSshServices({
        localUser: userInfo().username,
        ...(process.env.SSH_AUTH_SOCK ? { agentSocket: process.env.SSH_AUTH_SOCK } : {}),
        env: process.env,
        ...options.ssh,
        homeDir: options.ssh?.homeDir ?? homedir(),
        dataDir: options.dataDir,
        secrets:
          options.secrets ??
          new MemorySecretStore('This workbench keeps passphrases and passwords only until it quits.'),
      }),
    ));
  const pool = new NodePool(nodes, options.connectNode ?? sshConnector(sshServices, options.ssh?.homeDir ?? homedir()));
  const deployments = new DeploymentStore(db);
  const runs = new RunStore(db);
  const writer = new IngestWriter(db);
  const queries = new MetricsQueries(db);
  const sourceRoot = options.sourceRoot ?? defaultSourceRoot();
  const deployer = new Deployer({
    store: deployments,
    sourceRoot,
    localMode: options.localDeployMode ?? 'in-place',
    localCopyBase: options.dataDir,
    onProgress: (p) => events.emit('deploy:progress', p),
  });
  const monitor = new RunMonitor(runs, pool, writer, events, options.monitorTiming);
  const changed = (id: string): void => events.emit('runs:changed', { run: toSummary(runs.get(id)) });
  const checkpoints = new CheckpointStore(db);
  const checkpointService = new CheckpointService({
    store: checkpoints,
    runs,
    pool,
    dataDir: options.dataDir,
    onProgress: (p) => events.emit('checkpoints:progress', p),
    onChanged: (checkpoint) => events.emit('checkpoints:changed', { checkpoint }),
  });
  const launcher = new Launcher({
    runs,
    nodes,
    pool,
    deployments,
    deployer,
    monitor,
    checkpoints,
    verifyCheckpoint: (id) => checkpointService.verify(id),
    dataDir: options.dataDir,
    localTrainer: options.trainerPath,
    onChanged: (run) => events.emit('runs:changed', { run }),
  });
  const evalStore = new EvalStore(db);
  const evals = new EvalService({
    store: evalStore,
    checkpoints,
    runs,
    pool,
    tools: async (node) => {
      const binary = (await launcher.trainer(node)).binary;
      const lmEvalScript =
        node.kind === 'local'
          ? join(sourceRoot, 'native', 'scripts', 'lm_eval_run.py')
          : posix.join(posix.dirname(posix.dirname(posix.dirname(binary))), 'native', 'scripts', 'lm_eval_run.py');
      const python = node.kind === 'local' ? (options.evalPython ?? null) : nodes.get(node.id).python;
      return { trainer: binary, lmEvalScript, python };
    },
    referencePath: join(sourceRoot, 'resources', 'eval-reference.json'),
    onProgress: (p) => events.emit('evals:progress', p),
    onChanged: (job) => events.emit('evals:changed', { job }),
  });
  // A checkpoint record that crosses a multiple of a run's evalEvery tokens queues an evaluation.
  events.on('metrics:appended', (p) => {
    if ((p.records.checkpoint ?? 0) > 0) evals.schedule(p.runId);
  });
  const guarded = guardHandlers(
    {
      ...appHandlers(options),
      ...nodesHandlers(nodes, pool, events, options.connectNode ? null : sshServices),
      ...deployHandlers(deployer, deployments, nodes, pool),
      ...runsHandlers(runs, launcher, monitor, changed),
      ...metricsHandlers(queries, runs, writer, pool, (id) => monitor.refresh(id)),
      ...checkpointsHandlers(checkpoints, checkpointService, runs),
      ...evalsHandlers(evals, evalStore, runs),
      ...configHandlers({ trainerPath: options.trainerPath, sourceRoot }),
      ...historyHandlers(new HistoryQueries(db, runs)),
      ...settingsHandlers(new SettingsStore(options.dataDir), events),
      ...sshconfigHandlers(options.connectNode ? null : sshServices, nodes, options.ssh?.homeDir ?? homedir()),
    },
    dbPath,
    background,
  );
  const handlers: Handlers = guarded.handlers;
  if (options.watchRuns ?? true) monitor.watchActive();
  let closing: Promise<void> | null = null;
  return {
    handlers,
    events,
    close: () =>
      (closing ??= (async () => {
        await monitor.close();
        await evals.close();
        await pool.close();
        if (ssh) await (await ssh).close();
        guarded.close();
        db.close();
      })()),
  };
}

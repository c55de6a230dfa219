import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, RequestOf, ResponseOf } from '../../contract/channels.js';
import type { DeployProgress } from '../../contract/deploy.js';
import type { AppErrorShape } from '../../contract/errors.js';
import type { HostKeyDetails } from '../../contract/error-details.js';
import { isFinalState, type RunSummary } from '../../contract/runs.js';
import { expectedPoints, pointKey } from '../../test-support/metrics-file.js';
import { tempDir, trainerBinary } from '../../test-support/paths.js';
import { sourceTree } from '../../test-support/source-tree.js';
import { clientSide, sshdFor, type SshClientSide } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { requireTrainer } from '../../test-support/trainer.js';
import { waitFor } from '../../test-support/wait.js';
import { dispatch } from '../rpc/dispatch.js';
import { createWorkbench, type Workbench } from '../workbench.js';

// The nodes, deploy and runs domains over a real OpenSSH server on 127.0.0.1 (the same machine, so the
// "remote" home directory is this user's own: everything written there is removed afterwards).
let client: SshClientSide;
let sshd: TestSshd;
let workbench: Workbench;
let dataDir: string;
let nodeId: string;
const cleanup: string[] = [];

async function call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const r = await dispatch(workbench.handlers, channel, request);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { shape: r.error });
  return r.value as ResponseOf<C>;
}

beforeAll(async () => {
  client = clientSide();
  sshd = await sshdFor(client);
  dataDir = tempDir('moewb-sshwb-');
  workbench = createWorkbench({
    dataDir,
    trainerPath: trainerBinary,
    transport: 'cli',
    version: '0.0.0-test',
    sourceRoot: sourceTree(),
    ssh: { homeDir: client.dir, userKnownHostsFiles: [], agentSocket: undefined },
  });
  nodeId = (
    await call('nodes:add', {
      name: 'loopback',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFile: client.key.privatePath,
    })
  ).id;
});

afterAll(async () => {
  if (workbench) {
    for (const run of await call('runs:list', {})) {
      if (!isFinalState(run.state)) await call('runs:kill', { runId: run.id }).catch(() => undefined);
    }
  }
  await workbench?.close();
  await sshd?.stop();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('an SSH node', () => {
  it('asks to confirm an unknown host key, then connects and reports the machine', async () => {
    const first = await dispatch(workbench.handlers, 'nodes:test', { id: nodeId });
    expect(first.ok).toBe(false);
    const error = (first as { error: AppErrorShape }).error;
    expect(error.code).toBe('ssh_host_key_unknown');
    const details = error.details as HostKeyDetails;
    expect(details.fingerprint).toBe(sshd.hostKey.fingerprint);
    await call('nodes:trust-host-key', {
      host: details.host,
      port: details.port,
      key: details.key,
      fingerprint: details.fingerprint,
    });
    const report = await call('nodes:test', { id: nodeId });
    expect(report).toMatchObject({ nodeId, hostname: hostname() });
    expect(report.cpuCount).toBeGreaterThan(0);
  });

  it('deploys over SSH once; the second deploy uploads and builds nothing', async () => {
    const progress: DeployProgress[] = [];
    const off = workbench.events.on('deploy:progress', (p) => progress.push(p));
    const first = await call('deploy:start', { nodeId });
    cleanup.push(first.remoteDir);
    expect(first).toMatchObject({ status: 'ready', uploaded: true, built: true });
    expect(first.remoteDir).toMatch(new RegExp(`/\\.moe-workbench/trainer/${first.trainerHash}$`));
    expect(progress.find((p) => p.phase === 'upload' && p.transferred === p.total && p.total! > 0)).toBeDefined();
    progress.length = 0;
    const second = await call('deploy:start', { nodeId });
    off();
    expect(second).toMatchObject({ status: 'ready', uploaded: false, built: false, trainerHash: first.trainerHash });
    expect(progress.map((p) => p.phase)).toEqual(['hash', 'check', 'done']);
  });

  it('launches, tails and stops a run over SSH with the real trainer', { timeout: 300_000 }, async () => {
    requireTrainer();
    // The node's trainer: the build the tests use (this checkout's), recorded as that node's deployment.
    const deployedTree = dirname(dirname(dirname(trainerBinary)));
    const db = new Database(join(dataDir, 'workbench.db'));
    db.prepare(
      `INSERT INTO deployments (node_id, trainer_hash, remote_dir, status, started_at, facts) VALUES (?, 'checkout', ?, 'ready', 0, NULL)`,
    ).run(nodeId, deployedTree);
    db.close();
    const { run } = await call('runs:launch', {
      nodeId,
      preset: 'jetmoe-tiny',
      overrides: {
        'max-steps': '100000',
        'log-every': '1',
        'checkpoint-every': '1000000',
        'micro-batch-size': '4',
        'seq-len': '64',
      },
    });
    cleanup.push(run.remoteDir);
    expect(run.remoteDir).toMatch(new RegExp(`/\\.moe-workbench/runs/${run.id}$`));
    await waitFor(
      'steps over SSH',
      async () => ((await call('runs:get', { runId: run.id })).lastStep ?? 0) >= 3,
      120_000,
    );
    expect((await call('runs:get', { runId: run.id })).state).toBe('running');
    await call('runs:stop', { runId: run.id });
    const ended = await waitFor(
      'the run to stop',
      async () => {
        const r: RunSummary = await call('runs:get', { runId: run.id });
        return isFinalState(r.state) ? r : undefined;
      },
      120_000,
    );
    expect(ended.state).toBe('stopped');
    const db2 = new Database(join(dataDir, 'workbench.db'), { readonly: true });
    const stored = db2
      .prepare(
        'SELECT p.attempt, s.name AS series, p.step FROM points p JOIN series s ON s.id = p.series_id ' +
          'JOIN runs r ON r.key = p.run_key WHERE r.id = ?',
      )
      .all(run.id) as { attempt: number; series: string; step: number }[];
    db2.close();
    const expected = expectedPoints(join(run.remoteDir, 'metrics.jsonl'));
    expect(new Set(stored.map(pointKey))).toEqual(new Set(expected.map(pointKey)));
  });
});

import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointProgress } from '../../contract/checkpoints.js';
import { tempDir, trainerBinary } from '../../test-support/paths.js';
import { clientSide, sshdFor, type SshClientSide } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { insertRun } from '../../test-support/store.js';
import { dispatch } from '../rpc/dispatch.js';
import { createWorkbench, type Workbench } from '../workbench.js';
import { workbenchCalls } from '../../test-support/workbench-calls.js';

// Checkpoint verify, delete and download over a real OpenSSH server on 127.0.0.1: the "remote" run
// directory is a temporary folder of this machine whose path needs quoting (a space and a quote).
let client: SshClientSide;
let sshd: TestSshd;
let workbench: Workbench;
let dataDir: string;
let runDir: string;
const runId = 'r-20261129-c4ec40';

const { call, refused } = workbenchCalls(() => workbench);

/** A checkpoint directory as the trainer writes it (docs/checkpoints.md), with random contents. */
function writeCheckpoint(step: number): { dir: string; bytes: number } {
  const dir = join(runDir, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
  mkdirSync(dir, { recursive: true });
  const files: [string, Buffer][] = [
    ['model.pt', randomBytes(150_000 + step)],
    ['optimizer.pt', randomBytes(300_000)],
    ['trainer.pt', randomBytes(700)],
    ['config.flags', Buffer.from('--preset=jetmoe-tiny\n')],
  ];
  let manifest = `format 1\nstep ${step}\ntokens ${step * 256}\ncreated_by moetrain 0.1.0\n`;
  let bytes = 0;
  for (const [name, data] of files) {
    writeFileSync(join(dir, name), data);
    manifest += `file ${name} ${data.length} ${createHash('sha1').update(data).digest('hex')}\n`;
    bytes += data.length;
  }
  writeFileSync(join(dir, 'MANIFEST'), manifest);
  writeFileSync(join(dir, 'COMPLETE'), '');
  return { dir, bytes };
}

beforeAll(async () => {
  client = clientSide();
  sshd = await sshdFor(client);
  dataDir = tempDir('moewb-ckssh-');
  runDir = join(tempDir('moewb-ckssh-node-'), "it's a run", runId);
  workbench = createWorkbench({
    dataDir,
    trainerPath: trainerBinary,
    transport: 'cli',
    version: '0.0.0-test',
    watchRuns: false,
    ssh: { homeDir: client.dir, userKnownHostsFiles: [], agentSocket: undefined },
  });
  const node = await call('nodes:add', {
    name: 'loopback',
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: client.key.privatePath,
  });
  const unknown = await dispatch(workbench.handlers, 'nodes:test', { id: node.id });
  const key = !unknown.ok && unknown.error.details?.kind === 'host_key' ? unknown.error.details : null;
  if (!key || key.fingerprint !== sshd.hostKey.fingerprint)
    throw new Error("expected the loopback sshd's unknown host key");
  await call('nodes:trust-host-key', { host: key.host, port: key.port, key: key.key, fingerprint: key.fingerprint });
  const records = [
    {
      type: 'header',
      schema: 1,
      run_id: runId,
      attempt: 1,
      time: 1795934535,
      resume: null,
      trainer: {},
      config: {},
      params: {},
    },
  ];
  for (const step of [4, 8]) {
    const { bytes } = writeCheckpoint(step);
    records.push({
      type: 'checkpoint',
      step,
      tokens: step * 256,
      path: `checkpoints/step-${String(step).padStart(8, '0')}`,
      bytes,
      loss: 3 - step / 10,
      val_loss: null,
      reason: 'interval',
      kept: Object.fromEntries(
        [4, 8]
          .filter((s) => s <= step)
          .map((s) => [
            `checkpoints/step-${String(s).padStart(8, '0')}`,
            s === step ? ['newest'] : ['newest', 'best_val'],
          ]),
      ),
    } as never);
  }
  writeFileSync(join(runDir, 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const db = new Database(join(dataDir, 'workbench.db'));
  insertRun(db, runId, runDir, node.id);
  db.close();
  await call('metrics:ingest', { runId });
}, 60_000);

afterAll(async () => {
  await workbench?.close();
  await sshd?.stop();
});

describe('checkpoints on an SSH node', { timeout: 60_000 }, () => {
  it('lists the ledger from the checkpoint records', async () => {
    const list = await call('checkpoints:list', { runId });
    expect(list.map((c) => [c.step, c.status, c.newest, c.keptReasons])).toEqual([
      [4, 'complete', false, ['newest', 'best_val']],
      [8, 'complete', true, ['newest']],
    ]);
    expect(list[0]?.remotePath).toBe(join(runDir, 'checkpoints', 'step-00000004'));
  });

  it('verifies with sha1sum on the node and marks a changed file corrupt', async () => {
    const [first] = await call('checkpoints:list', { runId });
    const ok = await call('checkpoints:verify', { checkpointId: first!.id });
    expect(ok).toMatchObject({
      ok: true,
      message: 'all 4 files match the MANIFEST',
      checkpoint: { status: 'complete' },
    });
    expect(ok.files.every((f) => f.ok && f.actualSha1 === f.sha1)).toBe(true);
    const model = join(first!.remotePath, 'optimizer.pt');
    const bytes = readFileSync(model);
    bytes.writeUInt8(bytes.readUInt8(1234) ^ 1, 1234);
    writeFileSync(model, bytes);
    const bad = await call('checkpoints:verify', { checkpointId: first!.id });
    expect(bad).toMatchObject({
      ok: false,
      checkpoint: { status: 'corrupt', verifyMessage: 'optimizer.pt does not match its SHA-1 in the MANIFEST' },
    });
    expect(bad.message).toBe('Checkpoint step 4 is corrupt: optimizer.pt does not match its SHA-1 in the MANIFEST.');
    // A corrupt checkpoint is refused for a download, with the file named.
    const err = await refused('checkpoints:download', {
      checkpointId: first!.id,
      dest: join(tempDir('moewb-dl-'), 'x'),
    });
    expect(err.message).toMatch(/^optimizer\.pt of checkpoint step 4 does not match its MANIFEST/);
  });

  it('downloads over SFTP with progress, verified, into a folder that appears only when complete', async () => {
    const list = await call('checkpoints:list', { runId });
    const newest = list.find((c) => c.newest)!;
    const progress: CheckpointProgress[] = [];
    const off = workbench.events.on('checkpoints:progress', (p) => progress.push(p));
    const got = await call('checkpoints:download', { checkpointId: newest.id });
    off();
    expect(got).toMatchObject({ files: 4, reused: 0, localPath: join(dataDir, 'checkpoints', runId, 'step-00000008') });
    for (const f of ['model.pt', 'optimizer.pt', 'trainer.pt', 'config.flags', 'MANIFEST', 'COMPLETE']) {
      expect(readFileSync(join(got.localPath, f)).equals(readFileSync(join(newest.remotePath, f))), f).toBe(true);
    }
    expect(existsSync(`${got.localPath}.partial`)).toBe(false);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', transferred: got.bytes, total: got.bytes });
    expect(progress.filter((p) => p.phase === 'check').map((p) => p.file)).toEqual([
      'model.pt',
      'optimizer.pt',
      'trainer.pt',
      'config.flags',
    ]);
    const again = await refused('checkpoints:download', { checkpointId: newest.id });
    expect(again).toMatchObject({ code: 'conflict', hint: expect.stringContaining('--dest') as unknown });
  });

  it('refuses to delete the newest complete checkpoint of a running run, and deletes an older one', async () => {
    const [first, newest] = await call('checkpoints:list', { runId });
    const err = await refused('checkpoints:delete', { checkpointId: newest!.id });
    expect(err).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('newest complete checkpoint of run') as unknown,
    });
    expect(existsSync(newest!.remotePath)).toBe(true);
    expect(await call('checkpoints:delete', { checkpointId: first!.id })).toMatchObject({ status: 'deleted' });
    expect(existsSync(first!.remotePath)).toBe(false);
  });
});

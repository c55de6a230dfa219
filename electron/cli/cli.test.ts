import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticStream } from '../services/metrics/bench/synthetic-stream.js';
import { openDatabase } from '../services/db/database.js';
import { compiledCli } from '../test-support/compiled.js';
import { tempDir, trainerBinary } from '../test-support/paths.js';
import { clientSide, sshdFor } from '../test-support/ssh-fixture.js';
import { moewb as runMoewb } from '../test-support/moewb.js';
import { insertRun } from '../test-support/store.js';

/** Runs `moewb` in-process over the real services on its own data directory, with the built trainer. */
const moewb = (dataDir: string, ...argv: string[]) => runMoewb(dataDir, trainerBinary, ...argv);

describe('moewb', () => {
  it('manages nodes', async () => {
    const dir = tempDir('moewb-cli-');
    expect((await moewb(dir, 'nodes', 'list')).out).toMatch(/^local\s+This machine\s+local/m);
    const added = await moewb(dir, 'nodes', 'add', 'gpu box', '--host', 'gpu1.lab', '--user', 'ana', '--port', '2222');
    expect(added).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^added node n-[0-9a-f]{8} \(gpu box\)/) as unknown,
    });
    const list = await moewb(dir, 'nodes', 'list', '--json');
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({ id: 'local' }),
      expect.objectContaining({ name: 'gpu box', host: 'gpu1.lab', user: 'ana', port: 2222 }),
    ]);
    const bad = await moewb(dir, 'nodes', 'add', 'x', '--host', 'a b');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: Invalid request for nodes:add: host/m);
  });

  it('prints the problem and the fix, and exits non-zero', async () => {
    const dir = tempDir('moewb-cli-');
    const missing = await moewb(dir, 'runs', 'show', 'r-20261129-aaaaaa');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(
      'error: There is no run "r-20261129-aaaaaa".\nhint: See the run list (`moewb runs list`).\n',
    );
    const usage = await moewb(dir, 'launch', '--preset', 'jetmoe-tiny', '--set', 'oops');
    expect(usage.code).not.toBe(0);
    expect(usage.err).toMatch(/--set name=value/);
    const noTrainer = await moewb(dir, '--trainer', join(dir, 'no-moetrain'), 'launch', '--preset', 'jetmoe-tiny');
    expect(noTrainer.code).toBe(1);
    expect(noTrainer.err).toMatch(
      /^error: There is no trainer binary at .*\nhint: Build it with `bash native\/scripts\/build.sh`/m,
    );
  });

  it('ingests a run and exports its metrics as CSV', async () => {
    const dir = tempDir('moewb-cli-');
    const runId = 'r-20261129-c5c5c5';
    const runDir = join(dir, 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      join(runDir, 'metrics.jsonl'),
      [...syntheticStream({ runId, steps: 5, valEvery: 2 })].join('\n') + '\n',
    );
    const { db } = openDatabase(join(dir, 'workbench.db'));
    insertRun(db, runId, runDir);
    db.close();
    expect((await moewb(dir, 'metrics', 'ingest', runId)).out).toMatch(/: \+8 lines, \+70 points, offset \d+\n$/);
    const csv = await moewb(dir, 'metrics', 'export', runId, '--csv', '--series', 'train/loss,val/ppl');
    const rows = csv.out.trim().split('\n');
    expect(rows[0]).toBe('step,attempt,tokens,time,train/loss,val/ppl');
    expect(rows).toHaveLength(6);
    const loss = (step: number): number => 5 * Math.exp(-step / 20000) + 0.05 * Math.sin(step);
    expect(rows[2]).toBe(`2,1,8192,${1795934535 + 2 * 0.05},${loss(2)},${Math.exp(loss(2))}`);
    expect(rows[1]!.endsWith(',')).toBe(true);
    const unknown = await moewb(dir, 'metrics', 'export', runId, '--csv', '--series', 'nope');
    expect(unknown.err).toMatch(/has no series nope/);
  });

  it('lists checkpoints, refuses what it must with the reason, and prints the leaderboard', async () => {
    const dir = tempDir('moewb-cli-');
    const runId = 'r-20261129-c6c6c6';
    const runDir = join(dir, 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      join(runDir, 'metrics.jsonl'),
      [...syntheticStream({ runId, steps: 8, checkpointEvery: 4 })].join('\n') + '\n',
    );
    const { db } = openDatabase(join(dir, 'workbench.db'));
    insertRun(db, runId, runDir);
    db.close();
    await moewb(dir, 'metrics', 'ingest', runId);
    const list = await moewb(dir, 'checkpoints', 'list', runId);
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(/^id\s+step\s+tokens\s+size\s+att\s+loss\s+val\s+status/);
    expect(list.out).toMatch(/^2\s+8\s+32768\s+10\.5 MB\s+1\s+\S+\s+-\s+complete\*\s+interval/m);
    const newest = await moewb(dir, 'checkpoints', 'delete', `${runId}@8`);
    expect(newest.code).toBe(1);
    expect(newest.err).toMatch(
      /^error: Checkpoint step 8 is the newest complete checkpoint of run .*, which is running.*\nhint: Wait for the run/m,
    );
    const missing = await moewb(dir, 'checkpoints', 'verify', `${runId}@5`);
    expect(missing.err).toBe(
      `error: Run ${runId} has no checkpoint at step 5.\nhint: See \`moewb checkpoints list ${runId}\`.\n`,
    );
    const anneal = await moewb(dir, 'runs', 'fork', runId, '--checkpoint', '4', '--anneal-steps', '100');
    expect(anneal.err).toMatch(/^error: An anneal needs --min-lr\.\nhint: /);
    const board = await moewb(dir, 'evals', 'leaderboard', '--json');
    const parsed = JSON.parse(board.out) as {
      rows: unknown[];
      reference: { models: { model: string; scores: Record<string, number> }[] };
    };
    expect(parsed.rows).toEqual([]);
    expect(parsed.reference.models.find((m) => m.model === 'JetMoE-8B')?.scores).toMatchObject({
      mmlu: 0.492,
      gsm8k: 0.278,
    });
  });

  it('shows an unknown host key and trusts it only with the matching fingerprint', async () => {
    const dir = tempDir('moewb-cli-');
    const client = clientSide();
    const sshd = await sshdFor(client);
    try {
      await moewb(
        dir,
        'nodes',
        'add',
        'lo',
        '--host',
        sshd.host,
        '--port',
        String(sshd.port),
        '--user',
        sshd.user,
        '--identity-file',
        client.key.privatePath,
      );
      const unknown = await moewb(dir, 'nodes', 'test', 'lo');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain(`host key: ssh-ed25519 ${sshd.hostKey.fingerprint}`);
      expect(unknown.err).toContain('moewb nodes trust <node> --fingerprint');
      const wrong = await moewb(
        dir,
        'nodes',
        'trust',
        'lo',
        '--fingerprint',
        'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      );
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/not SHA256:AAAA.*\nhint: Do not trust it/);
      const trusted = await moewb(dir, 'nodes', 'trust', 'lo', '--fingerprint', sshd.hostKey.fingerprint);
      expect(trusted).toMatchObject({ code: 0, out: expect.stringContaining('trusted ssh-ed25519') as unknown });
      const ok = await moewb(dir, 'nodes', 'test', 'lo');
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^host: /);
    } finally {
      await sshd.stop();
    }
  });

  it('runs as the compiled `moewb` program', () => {
    const dir = tempDir('moewb-cli-');
    const ok = spawnSync(process.execPath, [compiledCli(), '--data-dir', dir, 'nodes', 'list'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('This machine');
    const bad = spawnSync(process.execPath, [compiledCli(), '--data-dir', dir, 'runs', 'kill', 'r-20261129-000000'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*\nhint: /);
    const env = { ...process.env, MOE_WORKBENCH_DATA: dir };
    expect(spawnSync(process.execPath, [compiledCli(), 'runs', 'list'], { encoding: 'utf8', env }).stdout).toMatch(
      /^ID\s+NAME/,
    );
  });
});

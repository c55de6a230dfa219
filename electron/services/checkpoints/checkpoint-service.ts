import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import type {
  CheckpointDownloadResult,
  CheckpointFileCheck,
  CheckpointInfo,
  CheckpointProgress,
  CheckpointVerifyResult,
} from '../../contract/checkpoints.js';
import { isFinalState } from '../../contract/runs.js';
import { ServiceError } from '../errors.js';
import type { NodeHandle } from '../nodes/node.js';
import type { NodePool } from '../nodes/node-pool.js';
import type { RunStore } from '../runs/run-store.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { parseManifest, sha1File, type Manifest } from './manifest.js';

/** What the checkpoint operations need. */
export interface CheckpointServiceDeps {
  store: CheckpointStore;
  runs: RunStore;
  pool: NodePool;
  /** Downloads go to `<dataDir>/checkpoints/<run id>/step-N` unless the request names a folder. */
  dataDir: string;
  onProgress: (p: CheckpointProgress) => void;
  onChanged: (c: CheckpointInfo) => void;
}

/** The finding of a verify that did not find the directory (the older wording included). */
const notFoundFinding = 'the directory was not found on the node';
const markedDeletedWhenAbsent = (c: CheckpointInfo): boolean =>
  c.verifyMessage === notFoundFinding || c.verifyMessage === 'the directory no longer exists on the node';

/** A checkpoint directory name as the trainer writes it. */
const stepDir = /^step-\d+$/;

/** Verify, delete and download checkpoints on their runs' nodes. */
export class CheckpointService {
  constructor(private readonly d: CheckpointServiceDeps) {}

  /** The checkpoint and the node that holds it, after checking its path is a checkpoint of its run. */
  async locate(checkpointId: number): Promise<{ checkpoint: CheckpointInfo; node: NodeHandle }> {
    const checkpoint = this.d.store.get(checkpointId);
    const run = this.d.runs.get(checkpoint.runId);
    const inside = posix.normalize(checkpoint.remotePath);
    if (
      !stepDir.test(posix.basename(inside)) ||
      posix.dirname(inside) !== posix.join(posix.normalize(run.remoteDir), 'checkpoints')
    ) {
      throw new ServiceError(
        'conflict',
        `Checkpoint ${checkpointId} has the unexpected path ${checkpoint.path}.`,
        'Only <run-dir>/checkpoints/step-N directories are handled.',
      );
    }
    return { checkpoint, node: await this.d.pool.get(run.nodeId) };
  }

  /** Reads the checkpoint's MANIFEST on the node. */
  async manifest(node: NodeHandle, checkpoint: CheckpointInfo): Promise<Manifest> {
    const path = posix.join(checkpoint.remotePath, 'MANIFEST');
    if ((await node.stat(checkpoint.remotePath)) === null) {
      throw new ServiceError(
        'not_found',
        `Checkpoint step ${checkpoint.step} of run ${checkpoint.runId} is gone from its node (${checkpoint.remotePath}).`,
        'Retention or a delete removed it; use another checkpoint of the run.',
      );
    }
    if ((await node.stat(path)) === null) {
      throw new ServiceError(
        'remote_failed',
        `${checkpoint.remotePath} has no MANIFEST.`,
        'The checkpoint is incomplete; use another checkpoint of the run.',
      );
    }
    return parseManifest((await node.readFile(path)).toString('utf8'), path);
  }

  /** Re-checks sizes and SHA-1 against the MANIFEST with `sha1sum` on the node; marks a mismatch corrupt. */
  async verify(checkpointId: number): Promise<CheckpointVerifyResult> {
    const { checkpoint, node } = await this.locate(checkpointId);
    const progress = (
      phase: CheckpointProgress['phase'],
      message: string,
      extra: Partial<CheckpointProgress> = {},
    ): void => this.d.onProgress({ checkpointId, operation: 'verify', phase, message, ...extra });
    if ((await node.stat(checkpoint.remotePath)) === null) {
      // Absent is not the same as deleted (a moved run directory, a disk not mounted), but nothing can resume
      // from it now: it is marked deleted with this finding, and a verify that finds it whole again restores it.
      const gone = this.d.store.setStatus(checkpointId, 'deleted');
      this.d.store.setVerified(checkpointId, Date.now() / 1000, notFoundFinding);
      this.d.onChanged(this.d.store.get(checkpointId));
      progress('failed', 'the checkpoint directory was not found');
      return {
        checkpoint: { ...gone, verifyMessage: notFoundFinding },
        ok: false,
        message:
          `${checkpoint.remotePath} was not found on the node; the checkpoint is marked deleted. If the run ` +
          'directory was moved or its disk is not mounted, verify it again once it is back to restore it.',
        files: [],
      };
    }
    progress('manifest', `reading ${checkpoint.path}/MANIFEST`);
    let manifest: Manifest;
    let problem: string | null = null;
    try {
      manifest = await this.manifest(node, checkpoint);
    } catch (err) {
      return this.finishVerify(checkpointId, false, (err as Error).message, []);
    }
    if ((await node.stat(posix.join(checkpoint.remotePath, 'COMPLETE'))) === null)
      problem = 'it has no COMPLETE marker (its writing was interrupted)';
    const total = manifest.files.reduce((n, f) => n + f.bytes, 0);
    const files: CheckpointFileCheck[] = [];
    let done = 0;
    for (const f of manifest.files) {
      progress('verify', `hashing ${f.name}`, { file: f.name, transferred: done, total });
      const path = posix.join(checkpoint.remotePath, f.name);
      const st = await node.stat(path);
      let sha: string | null = null;
      if (st !== null) {
        const r = await node.exec(['sha1sum', '--', path], { timeoutMs: 3_600_000 });
        if (r.code !== 0) {
          throw new ServiceError(
            'remote_failed',
            `\`sha1sum ${path}\` failed on the node: ${r.stderr.toString('utf8').trim()}`,
            'Install coreutils (sha1sum) on the node, or check the file permissions.',
          );
        }
        sha = r.stdout.toString('utf8').trim().split(/\s+/)[0] ?? null;
      }
      const ok = st !== null && st.size === f.bytes && sha === f.sha1;
      files.push({ name: f.name, bytes: f.bytes, sha1: f.sha1, actualBytes: st?.size ?? null, actualSha1: sha, ok });
      done += f.bytes;
    }
    const bad = files.filter((f) => !f.ok);
    if (bad.length > 0) {
      const first = bad[0] as CheckpointFileCheck;
      const why =
        first.actualBytes === null
          ? 'is missing'
          : first.actualBytes !== first.bytes
            ? `has ${first.actualBytes} bytes, the MANIFEST says ${first.bytes}`
            : 'does not match its SHA-1 in the MANIFEST';
      problem = `${first.name} ${why}${bad.length > 1 ? ` (and ${bad.length - 1} more file${bad.length > 2 ? 's' : ''})` : ''}`;
    }
    return this.finishVerify(
      checkpointId,
      problem === null,
      problem ?? `all ${files.length} files match the MANIFEST`,
      files,
    );
  }

  private finishVerify(
    checkpointId: number,
    ok: boolean,
    message: string,
    files: CheckpointFileCheck[],
  ): CheckpointVerifyResult {
    const before = this.d.store.get(checkpointId);
    if (!ok) this.d.store.setStatus(checkpointId, 'corrupt');
    else if (before.status === 'corrupt' || (before.status === 'deleted' && markedDeletedWhenAbsent(before)))
      this.d.store.setStatus(checkpointId, 'complete');
    this.d.store.setVerified(checkpointId, Date.now() / 1000, message);
    const checkpoint = this.d.store.get(checkpointId);
    this.d.onChanged(checkpoint);
    this.d.onProgress({ checkpointId, operation: 'verify', phase: ok ? 'done' : 'failed', message });
    return {
      checkpoint,
      ok,
      message: ok ? message : `Checkpoint step ${checkpoint.step} is corrupt: ${message}.`,
      files,
    };
  }

  /** Removes the directory on the node; the newest complete checkpoint of a run that is not final is refused. */
  async delete(checkpointId: number): Promise<CheckpointInfo> {
    const { checkpoint, node } = await this.locate(checkpointId);
    const run = this.d.runs.get(checkpoint.runId);
    if (checkpoint.newest && !isFinalState(run.state)) {
      throw new ServiceError(
        'conflict',
        `Checkpoint step ${checkpoint.step} is the newest complete checkpoint of run ${run.id}, which is ${run.state}: ` +
          'a crash now would have nothing to resume from.',
        'Wait for the run to write a newer checkpoint, or stop the run first.',
      );
    }
    // The COMPLETE marker goes first (as in the trainer's retention): a delete cut short leaves a
    // directory that neither `--resume auto` nor the ledger takes for a checkpoint, never a COMPLETE
    // one with files missing. The trainer removes such leftovers at its next start.
    const unmark = await node.exec(['rm', '-f', '--', posix.join(checkpoint.remotePath, 'COMPLETE')], {
      timeoutMs: 60_000,
    });
    if (unmark.code !== 0) {
      throw new ServiceError(
        'remote_failed',
        `Removing ${checkpoint.remotePath}/COMPLETE failed: ${unmark.stderr.toString('utf8').trim()}`,
        'Check the permissions of the run directory on the node.',
      );
    }
    const changed = this.d.store.setStatus(checkpointId, 'deleted');
    const r = await node.exec(['rm', '-rf', '--', checkpoint.remotePath], { timeoutMs: 600_000 });
    if (r.code !== 0) {
      this.d.onChanged(changed);
      throw new ServiceError(
        'remote_failed',
        `Removing ${checkpoint.remotePath} failed after its COMPLETE marker was removed: ` +
          `${r.stderr.toString('utf8').trim()}`,
        'The checkpoint is no longer usable; check the permissions of the run directory on the node and remove the rest.',
      );
    }
    this.d.onChanged(changed);
    return changed;
  }

  /**
   * Copies the checkpoint into `<dest>.partial/`, checks every file's size and SHA-1 against the
   * MANIFEST, then renames the folder to `dest`. An interrupted download leaves the partial folder;
   * the next one reuses the files in it that already verify.
   */
  async download(checkpointId: number, dest?: string): Promise<CheckpointDownloadResult> {
    const { checkpoint, node } = await this.locate(checkpointId);
    const target = resolve(
      dest ?? join(this.d.dataDir, 'checkpoints', checkpoint.runId, posix.basename(checkpoint.remotePath)),
    );
    const progress = (
      phase: CheckpointProgress['phase'],
      message: string,
      extra: Partial<CheckpointProgress> = {},
    ): void => this.d.onProgress({ checkpointId, operation: 'download', phase, message, ...extra });
    if (existsSync(target)) {
      throw new ServiceError(
        'conflict',
        `${target} already exists.`,
        'Choose another destination (--dest), or remove that folder first.',
      );
    }
    progress('manifest', `reading ${checkpoint.path}/MANIFEST`);
    const manifest = await this.manifest(node, checkpoint);
    const partial = `${target}.partial`;
    mkdirSync(partial, { recursive: true });
    const total = manifest.files.reduce((n, f) => n + f.bytes, 0);
    let done = 0;
    let reused = 0;
    try {
      for (const f of manifest.files) {
        const local = join(partial, f.name);
        if (existsSync(local) && statSync(local).size === f.bytes && (await sha1File(local)).sha1 === f.sha1) {
          reused += 1;
          done += f.bytes;
          progress('transfer', `${f.name} is already here and verified`, { file: f.name, transferred: done, total });
          continue;
        }
        rmSync(local, { force: true });
        const base = done;
        await node.download(posix.join(checkpoint.remotePath, f.name), local, (n) =>
          progress('transfer', `copying ${f.name}`, { file: f.name, transferred: base + n, total }),
        );
        progress('check', `checking the SHA-1 of ${f.name}`, { file: f.name, transferred: base + f.bytes, total });
        const got = await sha1File(local);
        if (got.bytes !== f.bytes || got.sha1 !== f.sha1) {
          rmSync(local, { force: true });
          throw new ServiceError(
            'remote_failed',
            `${f.name} of checkpoint step ${checkpoint.step} does not match its MANIFEST ` +
              `(${got.bytes !== f.bytes ? `${got.bytes} bytes, expected ${f.bytes}` : `SHA-1 ${got.sha1}, expected ${f.sha1}`}); ` +
              'nothing was kept.',
            `Verify the checkpoint on its node (\`moewb checkpoints verify ${checkpointId}\`); ` +
              'if it is corrupt there, download another checkpoint of the run.',
          );
        }
        done += f.bytes;
      }
      const manifestText = await node.readFile(posix.join(checkpoint.remotePath, 'MANIFEST'));
      writeFileSync(join(partial, 'MANIFEST'), manifestText);
      writeFileSync(join(partial, 'COMPLETE'), '');
      mkdirSync(dirname(target), { recursive: true });
      renameSync(partial, target);
    } catch (err) {
      progress('failed', (err as Error).message);
      throw err;
    }
    const changed = this.d.store.setDownloaded(checkpointId, target);
    this.d.onChanged(changed);
    progress('done', `saved to ${target}`, { transferred: total, total });
    return { checkpoint: changed, localPath: target, bytes: total, files: manifest.files.length, reused };
  }
}

import { describe, expect, it } from 'vitest';
import type { DeployProgress } from '../../contract/deploy.js';
import { repoRoot } from '../../test-support/paths.js';
import { openTestStore } from '../../test-support/store.js';
import { LocalNode } from '../nodes/local-node.js';
import { NodeStore } from '../nodes/node-store.js';
import { Deployer } from './deployer.js';
import { DeploymentStore } from './deployment-store.js';

// Runs native/scripts/build.sh in the checkout: incremental after `npm test` has built the trainer
// (seconds), a full build otherwise (minutes).
describe('deploy to This machine (in place, the real build script)', () => {
  it('builds when needed, and a second deploy is a no-op: no upload, no build', async () => {
    const { db, dir } = openTestStore();
    const progress: DeployProgress[] = [];
    const deployer = new Deployer({
      store: new DeploymentStore(db),
      sourceRoot: repoRoot,
      localMode: 'in-place',
      localCopyBase: dir,
      onProgress: (p) => progress.push(p),
    });
    const profile = new NodeStore(db).get('local');
    const first = await deployer.deploy(new LocalNode(), profile, false);
    expect(first).toMatchObject({ status: 'ready', uploaded: false, remoteDir: repoRoot });
    expect(first.facts?.moetrain).toBeTruthy();
    progress.length = 0;
    const second = await deployer.deploy(new LocalNode(), profile, false);
    expect(second).toMatchObject({ status: 'ready', uploaded: false, built: false, trainerHash: first.trainerHash });
    expect(progress.map((p) => p.phase)).toEqual(['hash', 'check', 'done']);
  }, 600_000);
});

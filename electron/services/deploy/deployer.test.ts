import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeployProgress } from '../../contract/deploy.js';
import { fakeTrainerFacts, sourceTree } from '../../test-support/source-tree.js';
import { openTestStore } from '../../test-support/store.js';
import { ServiceError } from '../errors.js';
import { LocalNode } from '../nodes/local-node.js';
import { NodeStore } from '../nodes/node-store.js';
import { parseBuildLine } from './build-output.js';
import { Deployer } from './deployer.js';
import { DeploymentStore } from './deployment-store.js';
import { collectTrainerSources } from './sources.js';

function setup(mode: 'copy' | 'in-place', root = sourceTree()) {
  const { db, dir } = openTestStore();
  const store = new DeploymentStore(db);
  const progress: DeployProgress[] = [];
  const deployer = new Deployer({
    store,
    sourceRoot: root,
    localMode: mode,
    localCopyBase: dir,
    onProgress: (p) => progress.push(p),
  });
  const profile = new NodeStore(db).get('local');
  return { root, dir, store, progress, deployer, profile, node: new LocalNode() };
}

describe('collectTrainerSources', () => {
  it('hashes native/ without build outputs, plus the presets', () => {
    const root = sourceTree();
    const a = collectTrainerSources(root);
    expect(a.files.map((f) => f.rel)).toEqual([
      'native/NONCE',
      'native/scripts/build.sh',
      'native/src/main.cpp',
      'resources/presets/tiny.flags',
    ]);
    writeFileSync(join(root, 'native', 'build', 'junk.o'), 'changed build output');
    expect(collectTrainerSources(root).hash).toBe(a.hash);
    writeFileSync(join(root, 'resources', 'presets', 'tiny.flags'), '--hidden-size=128\n');
    expect(collectTrainerSources(root).hash).not.toBe(a.hash);
  });
});

describe('Deployer', () => {
  it('uploads and builds once; deploying again is a no-op', async () => {
    const { deployer, node, profile, progress, dir } = setup('copy');
    const first = await deployer.deploy(node, profile, false);
    expect(first).toMatchObject({ status: 'ready', uploaded: true, built: true, error: null });
    expect(first.remoteDir).toBe(join(dir, 'trainer', first.trainerHash));
    expect(first.facts).toMatchObject(fakeTrainerFacts);
    expect(readFileSync(join(first.remoteDir, 'SOURCE_HASH'), 'utf8').trim()).toBe(first.trainerHash);
    expect(readFileSync(join(first.remoteDir, 'native', 'build', 'BUILT'), 'utf8').trim()).toBe(first.trainerHash);
    expect(existsSync(join(first.remoteDir, 'native', 'build', 'junk.o'))).toBe(false);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['hash', 'check', 'upload', 'build', 'done']));
    expect(progress.find((p) => p.phase === 'build' && p.message.startsWith('compile: 100%'))).toBeDefined();
    const binary = join(first.remoteDir, 'native', 'build', 'moetrain');
    const builtAt = statSync(binary).mtimeMs;

    progress.length = 0;
    const second = await deployer.deploy(node, profile, false);
    expect(second).toMatchObject({
      status: 'ready',
      uploaded: false,
      built: false,
      trainerHash: first.trainerHash,
      facts: first.facts,
    });
    expect(progress.map((p) => p.phase)).toEqual(['hash', 'check', 'done']);
    expect(statSync(binary).mtimeMs).toBe(builtAt);
  });

  it('deploys changed sources to a new directory', async () => {
    const { deployer, node, profile, root } = setup('copy');
    const first = await deployer.deploy(node, profile, false);
    writeFileSync(join(root, 'native', 'src', 'main.cpp'), 'int main() { return 1; }\n');
    const second = await deployer.deploy(node, profile, false);
    expect(second.trainerHash).not.toBe(first.trainerHash);
    expect(second).toMatchObject({ uploaded: true, built: true });
  });

  it("turns the build script's error line into one actionable message", async () => {
    const { deployer, node, profile, root, store } = setup('copy');
    writeFileSync(join(root, 'native', 'src', 'FAIL'), '');
    const err = await deployer.deploy(node, profile, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).message).toBe('Building the trainer on "This machine" failed: cmake is not installed');
    expect((err as ServiceError).hint).toBe('install CMake 3.25 or newer (apt-get install -y cmake)');
    const [failed] = store.list('local');
    expect(failed).toMatchObject({
      status: 'failed',
      uploaded: true,
      built: false,
      error: { message: (err as Error).message },
    });
    expect(failed!.buildLogTail).toContain('[build] error: cmake is not installed');
  });

  it('builds in place without copying or touching the sources', async () => {
    const { deployer, node, profile, root } = setup('in-place');
    const first = await deployer.deploy(node, profile, false);
    expect(first).toMatchObject({ remoteDir: root, uploaded: false, built: true });
    expect(existsSync(join(root, 'SOURCE_HASH'))).toBe(false);
    expect(existsSync(join(root, 'native', 'src', 'main.cpp'))).toBe(true);
    const second = await deployer.deploy(node, profile, true);
    expect(second).toMatchObject({ uploaded: false, built: true });
    expect(existsSync(join(root, 'native', 'src', 'main.cpp'))).toBe(true);
  });
});

describe('parseBuildLine', () => {
  it('reads progress and error lines of the build protocol', () => {
    expect(parseBuildLine('[build] compile: 42% Building CXX object')).toEqual({
      kind: 'progress',
      phase: 'compile',
      message: '42% Building CXX object',
    });
    expect(parseBuildLine('[build] error: nvcc 12.4 is missing — install the CUDA toolkit')).toEqual({
      kind: 'error',
      what: 'nvcc 12.4 is missing',
      fix: 'install the CUDA toolkit',
    });
    expect(parseBuildLine('-- Configuring done')).toBeNull();
  });
});

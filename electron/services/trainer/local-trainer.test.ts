import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, trainerBinary } from '../../test-support/paths.js';
import { probeLocalTrainer } from './local-trainer.js';

describe('probeLocalTrainer', () => {
  it('reports the real trainer binary with the version it prints itself', async () => {
    const status = await probeLocalTrainer(trainerBinary);
    expect(status.state).toBe('ready');
    if (status.state !== 'ready') return;
    const line = execFileSync(trainerBinary, ['--version'], { encoding: 'utf8' }).trim();
    expect(status.versionLine).toBe(line);
    expect(line).toContain(status.version.moetrain);
    expect(line).toContain(status.version.libtorch);
    expect(status.version.cuda_available).toBe(status.version.device_count > 0);
  });

  it('says how to build the trainer when the binary is missing', async () => {
    const status = await probeLocalTrainer(join(tempDir(), 'moetrain'));
    expect(status.state).toBe('missing');
    if (status.state === 'missing') expect(status.hint).toContain('native/scripts/build.sh');
  });

  it('reports a binary that is not a working trainer as broken, with the reason', async () => {
    const fake = join(tempDir(), 'moetrain');
    writeFileSync(fake, '#!/bin/sh\necho "libtorch_cpu.so: cannot open shared object file" >&2\nexit 127\n');
    chmodSync(fake, 0o755);
    const status = await probeLocalTrainer(fake);
    expect(status.state).toBe('broken');
    if (status.state === 'broken') {
      expect(status.message).toContain('libtorch_cpu.so');
      expect(status.hint).toMatch(/Rebuild/);
    }
  });
});

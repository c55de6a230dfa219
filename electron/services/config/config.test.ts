import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainerBinary, tempDir } from '../../test-support/paths.js';
import { configHandlers } from './handlers.js';
import { listPresets, parsePreset, presetsDir } from './presets.js';
import { issueFromStderr, localRunner, type TrainerRunner } from './trainer-plan.js';

/** The real trainer, counting how often it is asked. */
function countingRunner(): { run: TrainerRunner; calls: string[][] } {
  const calls: string[][] = [];
  const real = localRunner(trainerBinary);
  return { calls, run: (args) => (calls.push(args), real(args)) };
}

describe('config:plan with the real trainer', () => {
  it('reports parameters, FLOPs, run length, memory and the learning-rate curve of jetmoe-tiny', async () => {
    const h = configHandlers({ trainerPath: trainerBinary, sourceRoot: null });
    const plan = await h['config:plan']({ preset: 'jetmoe-tiny', overrides: {}, worldSize: 1, curvePoints: 50 });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.source).toBe('plan');
    expect(plan.params.total).toBe(1_939_584);
    expect(plan.params.active).toBe(989_312);
    expect(plan.flopsPerToken).toBe(6_525_696);
    expect(plan.totalSteps).toBe(plan.config['max-steps']);
    expect(plan.totalTokens).toBe(plan.totalSteps! * plan.tokensPerStep!);
    expect(plan.memory!.total).toBeGreaterThan(plan.memory!.weights);
    expect(plan.lrCurve!.length).toBeGreaterThan(10);
    const peak = Math.max(...plan.lrCurve!.map(([, lr]) => lr));
    expect(peak).toBeCloseTo(plan.schedule!.peakLr, 12);
  });

  it('returns the trainer’s own errors, naming the flag', async () => {
    const h = configHandlers({ trainerPath: trainerBinary, sourceRoot: null });
    const plan = await h['config:plan']({
      preset: 'jetmoe-tiny',
      overrides: { 'top-k': '9' },
      worldSize: 1,
      curvePoints: 10,
    });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.errors[0]!.flag).toBe('top-k');
    expect(plan.errors[0]!.message).toMatch(/exceeds --num-experts/);
  });

  it('asks the trainer once for repeated identical requests (the wizard asks on every edit)', async () => {
    const { run, calls } = countingRunner();
    const h = configHandlers({ trainerPath: trainerBinary, sourceRoot: null, runner: run });
    const req = { preset: 'jetmoe-tiny', overrides: { lr: '0.001' }, worldSize: 2, curvePoints: 10 };
    const [a, b] = await Promise.all([h['config:plan'](req), h['config:plan'](req)]);
    await h['config:plan'](req);
    expect(a).toEqual(b);
    expect(calls.filter((c) => c[0] === 'plan')).toHaveLength(1);
    expect(calls[0]).toContain('--world-size=2');
    await h['config:plan']({ ...req, overrides: { lr: '0.002' } });
    expect(calls.filter((c) => c[0] === 'plan')).toHaveLength(2);
  });

  it('lists the flag registry and the shipped presets', async () => {
    const h = configHandlers({ trainerPath: trainerBinary, sourceRoot: null });
    const flags = await h['config:flags']({});
    expect(flags.find((f) => f.name === 'top-k')).toMatchObject({ type: 'int', group: 'model' });
    expect(flags.find((f) => f.name === 'decay-form')!.choices).toContain('cosine');
    const presets = await h['config:presets']({});
    expect(presets.map((p) => p.name)).toContain('jetmoe-tiny');
    expect(presets[0]!.name).toBe('jetmoe-tiny');
  });
});

describe('presets and trainer messages', () => {
  it('reads a preset file: its leading comment and its flags', () => {
    const p = parsePreset(
      'mini',
      '# mini: a small one\n# for tests\n--hidden-size=64\n\n# later comment\n--tie-embeddings\n',
    );
    expect(p).toEqual({
      name: 'mini',
      description: 'a small one for tests',
      flags: { 'hidden-size': '64', 'tie-embeddings': 'true' },
    });
  });

  it('finds presets next to the binary or in $MOETRAIN_PRESETS, smallest model first', async () => {
    const root = tempDir();
    const dir = join(root, 'resources', 'presets');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(root, 'native', 'build'), { recursive: true });
    writeFileSync(join(dir, 'big.flags'), '--hidden-size=512\n--num-layers=8\n');
    writeFileSync(join(dir, 'small.flags'), '--hidden-size=64\n--num-layers=2\n');
    expect(presetsDir(join(root, 'native', 'build', 'moetrain'), null, {})).toBe(
      join(root, 'native', 'build', '..', '..', 'resources', 'presets'),
    );
    expect(presetsDir('/nowhere/bin/moetrain', null, { MOETRAIN_PRESETS: dir })).toBe(dir);
    expect(presetsDir('/nowhere/bin/moetrain', null, {})).toBeNull();
    expect((await listPresets(dir)).map((p) => p.name)).toEqual(['small', 'big']);
  });

  it('parses the one-line error of an older trainer', () => {
    expect(
      issueFromStderr(
        "moetrain config: error: --lr: value '0' (command line) is out of range (0, 10]; choose a value in (0, 10]\n",
      ),
    ).toEqual({
      flag: 'lr',
      message: "value '0' (command line) is out of range (0, 10]",
      hint: 'choose a value in (0, 10]',
    });
    expect(issueFromStderr('moetrain config: error: unknown preset "x"')).toEqual({
      flag: null,
      message: 'unknown preset "x"',
      hint: null,
    });
  });
});

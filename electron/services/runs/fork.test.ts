import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { trainerBinary } from '../../test-support/paths.js';
import { requireTrainer } from '../../test-support/trainer.js';
import { annealFlags, dataMixFlags } from './fork.js';
import { configArgs } from './trainer-config.js';

describe('anneal flags', () => {
  it('are accepted by the trainer on top of presets that set schedules in steps or in tokens', () => {
    requireTrainer();
    for (const preset of ['jetmoe-tiny', 'jetmoe-8b']) {
      for (const length of [{ decaySteps: 500 }, { decayTokens: 2_000_000_000 }]) {
        const flags = annealFlags({ ...length, form: 'exponential', minLr: 5e-5 });
        const r = spawnSync(trainerBinary, ['config', ...configArgs(preset, flags), '--json'], { encoding: 'utf8' });
        expect(r.status, `${preset} ${JSON.stringify(length)}: ${r.stderr}`).toBe(0);
        const resolved = (JSON.parse(r.stdout) as { flags: Record<string, unknown> }).flags;
        expect(resolved).toMatchObject({
          'warmup-steps': 0,
          'warmup-tokens': 0,
          'min-lr': 5e-5,
          'decay-form': 'exponential',
        });
      }
    }
  });

  it('make the plan decay from --lr at step 1 to --min-lr at the last step', () => {
    requireTrainer();
    const flags = annealFlags({ decaySteps: 20, form: 'linear', minLr: 3e-4 });
    const plan = JSON.parse(
      execFileSync(trainerBinary, ['plan', ...configArgs('jetmoe-tiny', flags), '--json'], { encoding: 'utf8' }),
    ) as {
      lr_curve: [number, number][];
    };
    const curve = plan.lr_curve;
    expect(curve.map(([step]) => step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (let i = 1; i < curve.length; i += 1) expect(curve[i]![1]).toBeLessThan(curve[i - 1]![1]);
    expect(curve[0]![1]).toBeCloseTo(3e-3 - (3e-3 - 3e-4) / 20, 12);
    expect(curve[19]![1]).toBeCloseTo(3e-4, 12);
  });
});

describe('data mixtures of a fork', () => {
  it('pass through only when the trainer has --data-mix', () => {
    const both = new Set(['data-mix', 'data-mix-phase2']);
    expect(dataMixFlags(both, undefined, '/d/web.u16=0.5,/d/code.u16=0.5')).toEqual({
      'data-mix-phase2': '/d/web.u16=0.5,/d/code.u16=0.5',
    });
    expect(dataMixFlags(both, '/d/web.u16=1', '/d/code.u16=1')).toEqual({
      'data-mix': '/d/web.u16=1',
      'data-mix-phase2': '/d/code.u16=1',
    });
    expect(dataMixFlags(new Set(), undefined, undefined)).toEqual({});
    expect(() => dataMixFlags(new Set(['data']), undefined, '/d/web.u16=1')).toThrow(/has no --data-mix-phase2 flag/);
    expect(() => dataMixFlags(new Set(['data']), '/d/web.u16=1', undefined)).toThrow(/has no --data-mix flag/);
  });
});

import { describe, expect, it } from 'vitest';
import { trainerBinary } from '../../test-support/paths.js';
import { localRunner, planWithTrainer } from './trainer-plan.js';

describe('the plan of a run with a data phase 2 (real trainer)', () => {
  const run = localRunner(trainerBinary);
  const base = { device: 'cpu', 'max-steps': '40', 'warmup-steps': '2', 'decay-steps': '10' };

  it('reports the phase-2 start step: given, or the decay start, or none without a phase 2', async () => {
    const given = await planWithTrainer(
      run,
      'jetmoe-tiny',
      {
        ...base,
        'data-mix': 'synthetic:arithmetic=1',
        'data-mix-phase2': 'synthetic:copy=1',
        'phase2-start-steps': '7',
      },
      1,
      5,
    );
    expect(given.ok && given.schedule?.phase2StartStep).toBe(7);
    const auto = await planWithTrainer(run, 'jetmoe-tiny', { ...base, 'data-mix-phase2': 'synthetic:copy=1' }, 1, 5);
    expect(auto.ok && auto.schedule?.phase2StartStep).toBe(auto.ok ? auto.schedule!.decayStartStep : -1);
    const none = await planWithTrainer(run, 'jetmoe-tiny', base, 1, 5);
    expect(none.ok && none.schedule?.phase2StartStep).toBeNull();
  });

  it('names the mixture flag when a weight is refused', async () => {
    const bad = await planWithTrainer(run, 'jetmoe-tiny', { ...base, 'data-mix': 'synthetic:arithmetic=0' }, 1, 5);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors[0]).toMatchObject({ flag: 'data-mix' });
    expect(bad.errors[0]!.hint).toMatch(/weight > 0/);
  });
});

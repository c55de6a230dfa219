import { statSync } from 'node:fs';
import type { FlagSpec, PlanResult } from '../../contract/config.js';
import type { Handlers } from '../rpc/handlers.js';
import { listPresets, presetsDir } from './presets.js';
import { flagsWithTrainer, localRunner, planWithTrainer, type TrainerRunner } from './trainer-plan.js';

type ConfigHandlers = Pick<Handlers, 'config:plan' | 'config:flags' | 'config:presets'>;

/** What the config domain needs: the local trainer and where the sources are. */
export interface ConfigContext {
  trainerPath: string;
  sourceRoot: string | null;
  /** Replaces the local binary (tests count calls through it). */
  runner?: TrainerRunner;
}

const cacheSize = 128;

/** The binary's identity: a rebuilt trainer must not answer from an old cache. */
function binaryStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}

/**
 * Handlers of the `config` domain. The wizard asks on every edit (debounced), so answers are cached by
 * request; identical requests in flight share one trainer call.
 */
export function configHandlers(ctx: ConfigContext): ConfigHandlers {
  const run = ctx.runner ?? localRunner(ctx.trainerPath);
  const plans = new Map<string, Promise<PlanResult>>();
  let flags: { stamp: string; value: Promise<FlagSpec[]> } | null = null;
  return {
    'config:plan': async ({ preset, overrides, worldSize, curvePoints }) => {
      const key = JSON.stringify([binaryStamp(ctx.trainerPath), preset, overrides, worldSize, curvePoints]);
      let answer = plans.get(key);
      if (!answer) {
        answer = planWithTrainer(run, preset, overrides, worldSize, curvePoints);
        plans.set(key, answer);
        answer.catch(() => plans.delete(key));
        if (plans.size > cacheSize) plans.delete(plans.keys().next().value!);
      }
      return answer;
    },
    'config:flags': async () => {
      const stamp = binaryStamp(ctx.trainerPath);
      if (!flags || flags.stamp !== stamp) {
        const value = flagsWithTrainer(run);
        flags = { stamp, value };
        value.catch(() => (flags = null));
      }
      return flags.value;
    },
    'config:presets': async () => listPresets(presetsDir(ctx.trainerPath, ctx.sourceRoot)),
  };
}

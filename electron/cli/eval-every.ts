import type { Command } from 'commander';
import type { EvalEverySetting } from '../contract/evals.js';
import { count, list, positiveInt } from './arg-parsers.js';

/** The parsed options of a run's evaluation schedule. */
export type EvalEveryOpts = {
  evalEveryTokens?: number;
  evalKind: string;
  evalTasks: string[];
  evalLimit?: number;
  evalLocalTasks?: string;
};

/** Options of a run's evaluation schedule on `launch` and `runs fork`. */
export function addEvalEveryOptions(cmd: Command): Command {
  return cmd
    .option('--eval-every-tokens <n>', 'evaluate each checkpoint that crosses a multiple of N training tokens', count)
    .option('--eval-kind <kind>', 'native (loss/ppl per domain) or lm-eval', 'native')
    .option('--eval-tasks <tasks>', 'lm-eval tasks, comma-separated', list, [])
    .option('--eval-limit <n>', 'documents per task (lm-eval) or validation tokens (native)', positiveInt)
    .option('--eval-local-tasks <dir>', 'folder of extra lm-eval task YAML files on the node');
}

/** The evalEvery request field from those options. */
export function evalEveryFrom(o: EvalEveryOpts): {
  evalEvery?: Omit<EvalEverySetting, 'limit' | 'localTasksDir'> & { limit?: number; localTasksDir?: string };
} {
  if (o.evalEveryTokens === undefined) return {};
  return {
    evalEvery: {
      tokens: o.evalEveryTokens,
      kind: o.evalKind as EvalEverySetting['kind'],
      tasks: o.evalTasks,
      ...(o.evalLimit ? { limit: o.evalLimit } : {}),
      ...(o.evalLocalTasks ? { localTasksDir: o.evalLocalTasks } : {}),
    },
  };
}

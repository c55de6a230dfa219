import type { Handlers } from '../rpc/handlers.js';
import type { RunStore } from '../runs/run-store.js';
import type { EvalService } from './eval-service.js';
import type { EvalStore } from './eval-store.js';

type EvalsHandlers = Pick<
  Handlers,
  'evals:run' | 'evals:jobs' | 'evals:job' | 'evals:list' | 'evals:leaderboard' | 'evals:series' | 'evals:reference'
>;

/** Handlers of the `evals` domain. */
export function evalsHandlers(service: EvalService, store: EvalStore, runs: RunStore): EvalsHandlers {
  return {
    'evals:run': async ({ checkpointId, wait, kind, tasks, limit, localTasksDir }) =>
      service.run(checkpointId, { kind, tasks, limit, localTasksDir }, wait),
    'evals:jobs': async ({ runId, limit }) => {
      if (runId) runs.get(runId);
      return store.jobs(runId ?? null, limit).map(({ localTasksDir: _dir, worker: _worker, ...job }) => job);
    },
    'evals:job': async ({ jobId }) => {
      const { localTasksDir: _dir, worker: _worker, ...job } = store.get(jobId);
      return job;
    },
    'evals:list': async (filter) => {
      if (filter.runId) runs.get(filter.runId);
      return store.results(filter);
    },
    'evals:leaderboard': async ({ tasks, runIds }) => ({
      ...store.leaderboard(tasks, runIds),
      reference: service.referenceScores(),
    }),
    'evals:series': async ({ runIds, task, metric }) => {
      const names = new Map(runIds.map((id) => [id, runs.get(id).name]));
      return store.series(runIds, (id) => names.get(id) ?? id, task, metric);
    },
    'evals:reference': async () => service.referenceScores(),
  };
}

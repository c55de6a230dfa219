import type { AppInfo } from '../contract/app.js';
import type { Handlers } from './rpc/handlers.js';
import { probeLocalTrainer } from './trainer/local-trainer.js';

/** What the `app` domain needs to know about its host. */
export interface AppContext {
  dataDir: string;
  trainerPath: string;
  transport: AppInfo['transport'];
  version: string;
}

/** Handlers of the `app` domain. */
export function appHandlers(ctx: AppContext): Pick<Handlers, 'app:info'> {
  return {
    'app:info': async () => ({
      workbenchVersion: ctx.version,
      transport: ctx.transport,
      dataDir: ctx.dataDir,
      trainer: await probeLocalTrainer(ctx.trainerPath),
    }),
  };
}

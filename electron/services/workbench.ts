import { mkdirSync } from 'node:fs';
import type { AppInfo } from '../contract/app.js';
import { appHandlers } from './app-handlers.js';
import type { Handlers } from './rpc/handlers.js';
import { EventBus } from './util/event-bus.js';

/** Everything the services need from their host; nothing here comes from Electron. */
export interface WorkbenchOptions {
  /** Directory for the database and local runs; created when missing. */
  dataDir: string;
  /** Path of the local `moetrain` binary ("This machine"). */
  trainerPath: string;
  /** Which transport serves the UI. */
  transport: AppInfo['transport'];
  /** The workbench's own version. */
  version: string;
}

/** The assembled services: request handlers, push events, and shutdown. */
export interface Workbench {
  readonly handlers: Handlers;
  readonly events: EventBus;
  close(): Promise<void>;
}

/** Builds the services for one workbench process. */
export function createWorkbench(options: WorkbenchOptions): Workbench {
  mkdirSync(options.dataDir, { recursive: true });
  const events = new EventBus();
  const handlers: Handlers = {
    ...appHandlers(options),
  };
  return {
    handlers,
    events,
    close: async () => {},
  };
}

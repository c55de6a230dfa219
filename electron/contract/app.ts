import { z } from 'zod';
import { channel, event } from './define.js';

/** A request without parameters. */
export const emptyRequest = z.object({}).strict();

/** What `moetrain version --json` reports about the trainer binary and its LibTorch. */
export const trainerVersionSchema = z.object({
  moetrain: z.string(),
  libtorch: z.string(),
  cuda_built: z.boolean(),
  cuda_available: z.boolean(),
  cuda_version: z.string().nullable(),
  device_count: z.number().int().nonnegative(),
  devices: z.array(z.object({ name: z.string(), memory_bytes: z.number(), capability: z.string() })).default([]),
});

/** Parsed trainer version facts. */
export type TrainerVersion = z.infer<typeof trainerVersionSchema>;

/** The local trainer as the workbench found it. */
export type LocalTrainerStatus =
  | { state: 'ready'; path: string; versionLine: string; version: TrainerVersion }
  | { state: 'missing'; path: string; hint: string }
  | { state: 'broken'; path: string; message: string; hint: string };

/** Answer of `app:info`. */
export interface AppInfo {
  workbenchVersion: string;
  /** How the services are being used: the desktop app, browser mode, or the `moewb` command line. */
  transport: 'electron' | 'browser' | 'cli';
  dataDir: string;
  trainer: LocalTrainerStatus;
}

/** Channels of the `app` domain. */
export const appChannels = {
  'app:info': channel<typeof emptyRequest, AppInfo>(emptyRequest),
} as const;

/** Events of the `app` domain. */
export const appEvents = {
  'app:notice': event<{ level: 'info' | 'warning' | 'error'; message: string }>(),
} as const;

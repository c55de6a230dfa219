import { z } from 'zod';
import { channel, event } from './define.js';

/** Preferences the workbench keeps in its data directory (no secrets). */
export interface Settings {
  /** What one GPU-hour costs on a node, in US dollars, by node id. */
  gpuHourPrice: Record<string, number>;
}

const getRequest = z.object({}).strict();
const priceRequest = z
  .object({ nodeId: z.string().min(1).max(200), pricePerGpuHour: z.number().min(0).max(10_000).nullable() })
  .strict();

/** Channels of the `settings` domain. */
export const settingsChannels = {
  'settings:get': channel<typeof getRequest, Settings>(getRequest),
  /** Sets (or with null, forgets) the price of a GPU-hour on a node. */
  'settings:setPrice': channel<typeof priceRequest, Settings>(priceRequest),
} as const;

/** Events of the `settings` domain. */
export const settingsEvents = {
  'settings:changed': event<Settings>(),
} as const;

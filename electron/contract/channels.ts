import type { z } from 'zod';
import { appChannels } from './app.js';
import { checkpointsChannels } from './checkpoints.js';
import { configChannels } from './config.js';
import { deployChannels } from './deploy.js';
import { evalsChannels } from './evals.js';
import { historyChannels } from './history.js';
import { metricsChannels } from './metrics.js';
import { nodesChannels } from './nodes.js';
import { runsChannels } from './runs.js';
import { settingsChannels } from './settings.js';
import { sshconfigChannels } from './sshconfig.js';

/**
 * Every request channel of the workbench, named `domain:verb`, merged from the domain files. Requests
 * are validated against these schemas by the one dispatcher before any service sees them.
 */
export const channels = {
  ...appChannels,
  ...nodesChannels,
  ...deployChannels,
  ...runsChannels,
  ...metricsChannels,
  ...checkpointsChannels,
  ...evalsChannels,
  ...configChannels,
  ...historyChannels,
  ...settingsChannels,
  ...sshconfigChannels,
} as const;

/** A channel name. */
export type ChannelName = keyof typeof channels;
/** The request type a caller sends on a channel. */
export type RequestOf<C extends ChannelName> = z.input<(typeof channels)[C]['request']>;
/** The parsed (defaults applied) request type a service receives. */
export type ParsedRequestOf<C extends ChannelName> = z.output<(typeof channels)[C]['request']>;
/** The response type of a channel. */
export type ResponseOf<C extends ChannelName> = NonNullable<(typeof channels)[C]['response']>;

/** All channel names, for transports that must allowlist them. */
export const channelNames = Object.keys(channels) as ChannelName[];

/** True when `name` is a known channel. */
export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name);
}

import { z } from 'zod';
import type { AppInfo } from './app.js';

/** Declares one request/response channel: a zod schema for the request, a type for the response. */
function channel<Req extends z.ZodType, Res>(request: Req): { request: Req; response?: Res } {
  return { request };
}

const empty = z.object({}).strict();

/**
 * Every request channel of the workbench, named `domain:verb`. Requests are validated against these
 * schemas by the one dispatcher before any service sees them.
 */
export const channels = {
  'app:info': channel<typeof empty, AppInfo>(empty),
} as const;

/** A channel name. */
export type ChannelName = keyof typeof channels;
/** The validated request type of a channel. */
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

import { appEvents } from './app.js';
import { checkpointsEvents } from './checkpoints.js';
import { deployEvents } from './deploy.js';
import { evalsEvents } from './evals.js';
import { metricsEvents } from './metrics.js';
import { nodesEvents } from './nodes.js';
import { runsEvents } from './runs.js';
import { settingsEvents } from './settings.js';

/** Every push event of the workbench, named `domain:event`, merged from the domain files. */
export const events = {
  ...appEvents,
  ...nodesEvents,
  ...deployEvents,
  ...runsEvents,
  ...metricsEvents,
  ...checkpointsEvents,
  ...evalsEvents,
  ...settingsEvents,
} as const;

/** Payload type of each event. */
export type EventMap = { [E in keyof typeof events]: NonNullable<(typeof events)[E]['payload']> };

/** An event name. */
export type EventName = keyof typeof events;

/** All event names, for transports that must allowlist them. */
export const eventNames = Object.keys(events) as EventName[];

/** True when `name` is a known event. */
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

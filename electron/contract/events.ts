/** Push events from the services to the UI, named `domain:event`, with their payload types. */
export interface EventMap {
  'app:notice': { level: 'info' | 'warning' | 'error'; message: string };
}

/** An event name. */
export type EventName = keyof EventMap;

/** All event names, for transports that must allowlist them. */
export const eventNames: EventName[] = ['app:notice'];

/** True when `name` is a known event. */
export function isEventName(name: string): name is EventName {
  return (eventNames as string[]).includes(name);
}

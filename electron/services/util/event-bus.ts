import type { EventMap, EventName } from '../../contract/events.js';

type Listener<E extends EventName> = (payload: EventMap[E]) => void;

/** Typed publish/subscribe for the contract's push events; transports forward what they subscribe to. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Delivers a payload to every current listener; a throwing listener does not stop the others. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (err) {
        console.error(`listener for ${event} failed:`, err);
      }
    }
  }
}

import type { ChannelName, RequestOf, ResponseOf } from './channels.js';
import type { RpcResult } from './errors.js';
import type { EventMap, EventName } from './events.js';

/**
 * The one API the renderer talks to. Electron backs it with the preload bridge (IPC); browser mode
 * backs it with HTTP and a WebSocket. Same contract, two transports.
 */
export interface WorkbenchApi {
  /** Sends a request on a channel; rejects with a WorkbenchError carrying the service's error. */
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to a push event; returns the unsubscribe function. */
  subscribe<E extends EventName>(event: E, handler: (payload: EventMap[E]) => void): () => void;
}

/** The bridge object the preload exposes on `window.workbench` in Electron. */
export interface PreloadBridge {
  invoke(channel: string, request: unknown): Promise<RpcResult<unknown>>;
  subscribe(event: string, handler: (payload: unknown) => void): () => void;
}

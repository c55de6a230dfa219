import './zod-jitless.js';
import { contextBridge, ipcRenderer } from 'electron';
import type { PreloadBridge } from '../contract/api.js';
import { isChannelName } from '../contract/channels.js';
import { isEventName } from '../contract/events.js';

// Mirrors bridgeChannels in main/ipc.ts; the preload is bundled alone and cannot import main code.
const subscribeChannel = 'bridge:subscribe';
const unsubscribeChannel = 'bridge:unsubscribe';
const eventChannel = 'bridge:event';

const handlers = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(eventChannel, (_event, name: string, payload: unknown) => {
  for (const handler of handlers.get(name) ?? []) handler(payload);
});

/** The contract, exposed as exactly two allowlisted operations; no raw ipcRenderer leaves this file. */
const bridge: PreloadBridge = {
  invoke(channel, request) {
    if (!isChannelName(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'invalid_request', message: `Unknown channel "${channel}".` },
      });
    }
    return ipcRenderer.invoke(channel, request) as ReturnType<PreloadBridge['invoke']>;
  },
  subscribe(event, handler) {
    if (!isEventName(event)) throw new Error(`Unknown event "${event}".`);
    let set = handlers.get(event);
    if (!set) {
      set = new Set();
      handlers.set(event, set);
      ipcRenderer.send(subscribeChannel, event);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) {
        handlers.delete(event);
        ipcRenderer.send(unsubscribeChannel, event);
      }
    };
  },
};

contextBridge.exposeInMainWorld('workbench', bridge);

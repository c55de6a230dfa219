import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { channelNames } from '../contract/channels.js';
import { isEventName, type EventName } from '../contract/events.js';
import { dispatch } from '../services/rpc/dispatch.js';
import type { Workbench } from '../services/workbench.js';
import { isAppUrl } from './security.js';

/** IPC names the preload uses besides the contract's channels. */
export const bridgeChannels = {
  subscribe: 'bridge:subscribe',
  unsubscribe: 'bridge:unsubscribe',
  event: 'bridge:event',
};

function trusted(event: IpcMainInvokeEvent | IpcMainEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url);
}

/**
 * The one IPC registrar: every contract channel gets a handler that checks the sender is our own
 * top-level frame, then hands the payload to the same dispatcher browser mode uses (zod validation,
 * typed errors).
 */
export function registerIpc(workbench: Workbench): void {
  for (const name of channelNames) {
    ipcMain.handle(name, async (event, payload: unknown) => {
      if (!trusted(event)) {
        return { ok: false, error: { code: 'invalid_request', message: 'Request from an untrusted frame refused.' } };
      }
      return dispatch(workbench.handlers, name, payload);
    });
  }
  const subscriptions = new Map<WebContents, Map<EventName, () => void>>();
  ipcMain.on(bridgeChannels.subscribe, (event, name: unknown) => {
    if (!trusted(event) || typeof name !== 'string' || !isEventName(name)) return;
    const contents = event.sender;
    let subs = subscriptions.get(contents);
    if (!subs) {
      subs = new Map();
      subscriptions.set(contents, subs);
      contents.once('destroyed', () => {
        for (const off of subscriptions.get(contents)?.values() ?? []) off();
        subscriptions.delete(contents);
      });
    }
    if (subs.has(name)) return;
    subs.set(
      name,
      workbench.events.on(name, (payload) => {
        if (!contents.isDestroyed()) contents.send(bridgeChannels.event, name, payload);
      }),
    );
  });
  ipcMain.on(bridgeChannels.unsubscribe, (event, name: unknown) => {
    if (!trusted(event) || typeof name !== 'string' || !isEventName(name)) return;
    const subs = subscriptions.get(event.sender);
    subs?.get(name)?.();
    subs?.delete(name);
  });
}

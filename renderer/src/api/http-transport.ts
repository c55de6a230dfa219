import type { WorkbenchApi } from '../../../electron/contract/api.js';
import { WorkbenchError, type RpcResult } from '../../../electron/contract/errors.js';
import type { EventName } from '../../../electron/contract/events.js';

const tokenKey = 'moe-workbench-token';

/**
 * Reads the per-start token from the URL fragment the workbench printed (the fragment never reaches
 * the server or its logs), keeps it for this tab, and removes it from the address bar.
 */
export function takeToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(tokenKey);
}

/** The contract over HTTP (requests) and one WebSocket (events), for browser mode. */
export function createHttpApi(token: string): WorkbenchApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let socket: WebSocket | undefined;
  let retryMs = 500;

  function connect(): WebSocket {
    const wsUrl = `${location.origin.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(wsUrl);
    ws.addEventListener('open', () => {
      retryMs = 500;
      for (const event of listeners.keys()) ws.send(JSON.stringify({ subscribe: event }));
    });
    ws.addEventListener('message', (msg) => {
      const data = JSON.parse(String(msg.data)) as { event: string; payload: unknown };
      for (const handler of listeners.get(data.event) ?? []) handler(data.payload);
    });
    ws.addEventListener('close', () => {
      socket = undefined;
      if (listeners.size > 0) {
        setTimeout(() => {
          if (!socket && listeners.size > 0) socket = connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    });
    return ws;
  }

  return {
    async invoke(channel, request) {
      const res = await fetch(`/api/rpc/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(request ?? {}),
      });
      if (res.status === 401) {
        throw new WorkbenchError({
          code: 'invalid_request',
          message: 'This page has no valid workbench token.',
          hint: 'Open the URL the workbench printed when it started.',
        });
      }
      if (!res.ok) {
        throw new WorkbenchError({ code: 'unavailable', message: `The workbench answered HTTP ${res.status}.` });
      }
      const result = (await res.json()) as RpcResult<never>;
      if (!result.ok) throw new WorkbenchError(result.error);
      return result.value;
    },
    subscribe(event: EventName, handler) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ subscribe: event }));
      }
      set.add(handler as (payload: unknown) => void);
      socket ??= connect();
      return () => {
        set.delete(handler as (payload: unknown) => void);
        if (set.size === 0) {
          listeners.delete(event);
          if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ unsubscribe: event }));
        }
      };
    },
  };
}

import type { PreloadBridge, WorkbenchApi } from '../../../electron/contract/api.js';
import { createHttpApi, takeToken } from './http-transport.js';
import { createIpcApi } from './ipc-transport.js';

declare global {
  interface Window {
    workbench?: PreloadBridge;
  }
}

/** The API for this window: IPC inside Electron, HTTP/WebSocket in browser mode; null without a token. */
export function createApi(): WorkbenchApi | null {
  if (window.workbench) return createIpcApi(window.workbench);
  const token = takeToken();
  return token ? createHttpApi(token) : null;
}

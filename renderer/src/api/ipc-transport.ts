import type { PreloadBridge, WorkbenchApi } from '../../../electron/contract/api.js';
import { WorkbenchError } from '../../../electron/contract/errors.js';

/** The contract over Electron IPC, through the bridge the preload exposes. */
export function createIpcApi(bridge: PreloadBridge): WorkbenchApi {
  return {
    async invoke(channel, request) {
      const result = await bridge.invoke(channel, request ?? {});
      if (!result.ok) throw new WorkbenchError(result.error);
      return result.value as never;
    },
    subscribe(event, handler) {
      return bridge.subscribe(event, handler as (payload: unknown) => void);
    },
  };
}

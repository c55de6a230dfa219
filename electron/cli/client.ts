import type { ChannelName, RequestOf, ResponseOf } from '../contract/channels.js';
import { WorkbenchError } from '../contract/errors.js';
import type { EventMap, EventName } from '../contract/events.js';
import { dispatch } from '../services/rpc/dispatch.js';
import type { Workbench } from '../services/workbench.js';

/** The CLI's view of the services: the same dispatcher the app's transports use. */
export interface CliClient {
  call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  close(): Promise<void>;
}

/** Wraps a workbench: requests go through dispatch (validation included), failures throw WorkbenchError. */
export function clientOf(workbench: Workbench): CliClient {
  return {
    async call(channel, request) {
      const result = await dispatch(workbench.handlers, channel, request);
      if (!result.ok) throw new WorkbenchError(result.error);
      return result.value as never;
    },
    on: (event, listener) => workbench.events.on(event, listener),
    close: () => workbench.close(),
  };
}

import type { ChannelName, RequestOf, ResponseOf } from '../contract/channels.js';
import { WorkbenchError } from '../contract/errors.js';
import { dispatch } from '../services/rpc/dispatch.js';
import type { Workbench } from '../services/workbench.js';

/** Calls through the services' dispatcher of the workbench `current()` returns (tests create it in beforeAll). */
export function workbenchCalls(current: () => Workbench): {
  call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  refused<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<WorkbenchError>;
} {
  return {
    /** The answer of a request that must succeed; a refusal throws its WorkbenchError. */
    async call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      const r = await dispatch(current().handlers, channel, request);
      if (!r.ok) throw new WorkbenchError(r.error);
      return r.value as ResponseOf<C>;
    },
    /** The error of a request that must be refused; success throws. */
    async refused<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<WorkbenchError> {
      const r = await dispatch(current().handlers, channel, request);
      if (r.ok) throw new Error(`${channel} succeeded but should have been refused`);
      return new WorkbenchError(r.error);
    },
  };
}

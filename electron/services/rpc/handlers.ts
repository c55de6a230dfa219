import type { ChannelName, ParsedRequestOf, ResponseOf } from '../../contract/channels.js';

/** One implementation per channel; the dispatcher has validated the request already. */
export type Handlers = {
  [C in ChannelName]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>;
};

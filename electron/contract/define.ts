import type { z } from 'zod';

/** Declares one request/response channel: a zod schema for the request, a type for the response. */
export function channel<Req extends z.ZodType, Res>(request: Req): { request: Req; response?: Res } {
  return { request };
}

/** Declares one push event with its payload type. */
export function event<Payload>(): { payload?: Payload } {
  return {};
}

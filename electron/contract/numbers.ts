import { z } from 'zod';

/**
 * A number that stands for exactly what was written. JSON.parse rounds an integer beyond 2^53 − 1
 * (9007199254740993 arrives as 9007199254740992), so such a value is refused instead of passed on
 * rounded; a flag that needs one takes it as a string.
 */
export const exactNumber = z.number().refine((v) => !Number.isInteger(v) || Number.isSafeInteger(v), {
  message: 'an integer beyond 2^53 - 1 cannot be carried exactly as a JSON number; give it as a string',
});

import { config } from 'zod';

// The contract's zod schemas are shared with the renderer. Zod probes `new Function` to decide whether to
// compile fast parsers; under our CSP (no unsafe-eval) that probe is blocked and reported as a violation.
// Declaring jitless up front skips the probe. Imported first by main.tsx, before any schema is built.
config({ jitless: true });

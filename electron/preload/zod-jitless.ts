import { config } from 'zod';

// Imported first by preload.ts, before the contract builds its schemas: no `new Function` probe under
// the page's CSP (see renderer/src/zod-jitless.ts).
config({ jitless: true });

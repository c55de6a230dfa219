import { WorkbenchError } from '../../../electron/contract/errors.js';

/** Any rejection as a WorkbenchError (what ErrorNotice shows: message, then hint). */
export function asWorkbenchError(e: unknown): WorkbenchError {
  return e instanceof WorkbenchError
    ? e
    : new WorkbenchError({ code: 'internal', message: e instanceof Error ? e.message : String(e) });
}

/**
 * The desktop app's security policy as plain data and pure functions (no `electron` import), so tests
 * can check it: what a window may load, where it may navigate, and the renderer's web preferences.
 */

/** The only origin our windows may show. */
export const appOrigin = 'app://workbench';

/**
 * True when a URL belongs to our own UI: scheme `app:` and host `workbench`, compared on the parsed URL,
 * never by string prefix. (Node's URL gives custom schemes the opaque origin "null", so comparing
 * `origin` in the main process would refuse our own pages.)
 */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'workbench' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** Web preferences of every window: isolated, sandboxed, no Node, no webviews, no insecure content. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  } as const;
}

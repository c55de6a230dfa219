import { app, session, type WebContents } from 'electron';
import { isAppUrl } from './policy.js';

export { appOrigin, isAppUrl } from './policy.js';

/**
 * Locks down every web contents the app creates: no navigation away from our origin, no new windows,
 * no webviews, no permission grants.
 */
export function hardenApp(): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (event) => {
      if (!isAppUrl(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    session.defaultSession.setDevicePermissionHandler(() => false);
    // Nothing is ever downloaded through the UI.
    session.defaultSession.on('will-download', (event) => event.preventDefault());
  });
}

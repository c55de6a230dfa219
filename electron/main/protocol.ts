import { protocol } from 'electron';
import { readStaticFile } from '../app/static-files.js';
import { contentSecurityPolicy } from '../app/web-security.js';

/** Must run before the app is ready: `app://` is a standard, secure scheme for our UI. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer on app://workbench with the same CSP as browser mode. */
export function serveRenderer(staticDir: string): void {
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    const file =
      url.host === 'workbench'
        ? ((await readStaticFile(staticDir, url.pathname)) ??
          (url.pathname.includes('.') ? undefined : await readStaticFile(staticDir, '/')))
        : undefined;
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': contentSecurityPolicy(),
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });
}

// The UI's web security, identical in both transports (the desktop app's app:// scheme and the browser host).

/**
 * The Content-Security-Policy of the UI in both transports: only our own scripts and styles, no inline
 * code, no eval, no framing, no plugins; network access only back to the serving origin.
 */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${connectSources.map((s) => ' ' + s).join('')}`,
    "object-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

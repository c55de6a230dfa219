import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../app/web-security.js';
import { appOrigin, isAppUrl, secureWebPreferences } from './policy.js';

describe('desktop security policy', () => {
  it('keeps the renderer isolated, sandboxed and without Node', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('recognises only our own origin, by parsed origin and not by prefix', () => {
    expect(isAppUrl(`${appOrigin}/runs/r-1`)).toBe(true);
    expect(isAppUrl('app://workbench.evil.example/')).toBe(false);
    expect(isAppUrl('app://workbenchx/')).toBe(false);
    expect(isAppUrl('https://workbench/')).toBe(false);
    expect(isAppUrl('javascript:alert(1)')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl('app://user@workbench/')).toBe(false);
    expect(isAppUrl('app://workbench:8080/')).toBe(false);
  });

  it('serves a CSP without inline code, eval, frames, workers or plugins', () => {
    const csp = contentSecurityPolicy();
    for (const d of [
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "frame-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ]) {
      expect(csp).toContain(d);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

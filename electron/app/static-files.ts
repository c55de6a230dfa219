// The built renderer as files to serve: app:// in the desktop app and HTTP in browser mode read it the same way.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** A static file ready to send. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  isHtml: boolean;
}

/**
 * Resolves a URL path to a file inside `root` (index.html for "/"); refuses anything that would leave
 * `root` after decoding and normalising. Returns undefined when there is no such file.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^([/\\])+/, '');
  const full = join(root, relative);
  const rootWithSep = root.endsWith(sep) ? root : root + sep;
  if (!full.startsWith(rootWithSep)) return undefined;
  try {
    const info = await stat(full);
    if (!info.isFile()) return undefined;
    const ext = extname(full).toLowerCase();
    return {
      body: await readFile(full),
      contentType: mimeTypes[ext] ?? 'application/octet-stream',
      isHtml: ext === '.html',
    };
  } catch {
    return undefined;
  }
}

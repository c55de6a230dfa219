import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { isEventName, type EventName } from '../contract/events.js';
import { dispatch } from '../services/rpc/dispatch.js';
import type { Workbench } from '../services/workbench.js';
import { readStaticFile } from '../app/static-files.js';
import { contentSecurityPolicy } from '../app/web-security.js';
import { bearerToken, tokenMatches } from './security.js';

const maxBodyBytes = 4 * 1024 * 1024;
/** A body over the limit is read and dropped up to this size, so its sender gets the 413 (not a reset). */
const maxDrainBytes = 64 * 1024 * 1024;

/** Options of the browser-mode host. */
export interface HostOptions {
  workbench: Workbench;
  /** The built renderer. */
  staticDir: string;
  /** 0 picks a free port. */
  port: number;
  /** The per-start secret; generated when absent. */
  token?: string;
}

/** A running browser-mode host. */
export interface RunningHost {
  /** Origin the UI is served from, e.g. http://127.0.0.1:5199 */
  origin: string;
  /** The URL to open: origin plus the token in the fragment (never sent to the server or logged). */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Serves the renderer and the services' contract over HTTP and a WebSocket on 127.0.0.1 only. Every
 * API request must carry the per-start token, come to our own Host and, when it has an Origin, from our
 * own origin; so neither another local user nor a web page in the browser can drive the workbench.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  let origin = '';
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  server.on('request', (req, res) => {
    handleRequest(req, res).catch((err: unknown) => {
      console.error('request failed:', err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      return sendJson(res, 421, { error: 'Requests must be addressed to this host by 127.0.0.1.' });
    }
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/api/')) {
      if (req.headers.origin !== undefined && !allowedOrigins.has(req.headers.origin)) {
        return sendJson(res, 403, { error: 'Cross-origin requests are refused.' });
      }
      if (!tokenMatches(bearerToken(req.headers.authorization), token)) {
        return sendJson(res, 401, { error: 'Missing or wrong workbench token. Open the URL the workbench printed.' });
      }
      const m = /^\/api\/rpc\/([a-z]+:[a-zA-Z-]+)$/.exec(url.pathname);
      if (!m || req.method !== 'POST') return sendJson(res, 404, { error: 'No such API route.' });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return sendJson(res, 415, { error: 'Requests must be JSON.' });
      }
      const tooLarge = { error: `Request too large: the limit is ${maxBodyBytes / (1024 * 1024)} MiB.` };
      if (Number(req.headers['content-length'] ?? 0) > maxDrainBytes) {
        res.setHeader('Connection', 'close');
        return sendJson(res, 413, tooLarge);
      }
      const body = await readBody(req);
      if (body === undefined) return sendJson(res, 413, tooLarge);
      let payload: unknown;
      try {
        payload = body.length ? JSON.parse(body) : {};
      } catch {
        return sendJson(res, 400, { error: 'Request body is not valid JSON.' });
      }
      return sendJson(res, 200, await dispatch(options.workbench.handlers, m[1]!, payload));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'Method not allowed.' });
    const file =
      (await readStaticFile(options.staticDir, url.pathname)) ??
      // Client-side routes fall back to the app shell.
      (url.pathname.includes('.') ? undefined : await readStaticFile(options.staticDir, '/'));
    if (!file) return sendJson(res, 404, { error: 'Not found.' });
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': file.contentType,
      'Cache-Control': file.isHtml ? 'no-store' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  function securityHeaders(): Record<string, string> {
    return {
      'Content-Security-Policy': contentSecurityPolicy([...allowedHosts].map((h) => `ws://${h}`)),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      ...securityHeaders(),
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(JSON.stringify(body));
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin || 'http://127.0.0.1');
    const ok =
      allowedHosts.has(req.headers.host ?? '') &&
      allowedOrigins.has(req.headers.origin ?? '') &&
      url.pathname === '/api/events' &&
      tokenMatches(url.searchParams.get('token'), token);
    if (!ok) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachSocket(ws));
  });

  function attachSocket(ws: WebSocket): void {
    sockets.add(ws);
    const unsubscribers = new Map<EventName, () => void>();
    ws.on('message', (data) => {
      let msg: { subscribe?: unknown; unsubscribe?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.subscribe === 'string' && isEventName(msg.subscribe) && !unsubscribers.has(msg.subscribe)) {
        const event = msg.subscribe;
        unsubscribers.set(
          event,
          options.workbench.events.on(event, (payload) => {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
          }),
        );
      }
      if (typeof msg.unsubscribe === 'string' && isEventName(msg.unsubscribe)) {
        unsubscribers.get(msg.unsubscribe)?.();
        unsubscribers.delete(msg.unsubscribe);
      }
    });
    ws.on('close', () => {
      for (const off of unsubscribers.values()) off();
      sockets.delete(ws);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));

  return {
    origin,
    url: `${origin}/#token=${token}`,
    port,
    token,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The request body, or undefined when it is over maxBodyBytes. An oversized body is read to its end
 * and dropped (a socket closed while the client still sends reaches it as a reset, before the 413);
 * one beyond maxDrainBytes ends the connection.
 */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxDrainBytes) {
        resolve(undefined);
        req.destroy();
      } else if (size > maxBodyBytes) {
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

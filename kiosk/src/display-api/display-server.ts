import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DECISIONS } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LaneDecision } from '../agent/decision-loop.js';
import type { OverrideRequest, OverrideResult } from '../agent/override.js';

/** Where a code the display sends came from: the keypad, a keyboard-wedge scanner, the camera. */
export type DisplaySource = 'manual' | 'wedge' | 'camera';

/** What the display may ask of the lane agent. */
export interface DisplayAgent {
  submit(text: string, source: DisplaySource): LaneDecision;
  override(request: OverrideRequest): OverrideResult;
  acknowledge(scanId: string): boolean;
  status(): unknown;
  /** Lane events (decisions, device and sync status, overrides), relayed to every display. */
  onEvent(listener: (event: { type: string; data: unknown }) => void): () => void;
}

/** Options of the display API. */
export interface DisplayServerOptions {
  readonly agent: DisplayAgent;
  readonly logger: Logger;
  /** 0: any free port. */
  readonly port?: number;
  /** The built display (index.html, traveller.html, assets/); a plain page if absent. */
  readonly staticDir?: string;
  /** The lane's camera profile (resolution, fps, region of interest), sent to the display; null: no camera. */
  readonly camera?: unknown;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** A display client: the officer's screen gets everything, the traveller's only colours. */
interface Client {
  readonly ws: WebSocket;
  readonly view: 'officer' | 'traveller';
}

const MAX_BODY = 16 * 1024;
const OVERRIDE_STATUS: Record<string, number> = {
  wrong_pin: 403,
  not_supervisor: 403,
  locked_out: 429,
  needs_supervisor: 403,
  supervisor_same_officer: 403,
  unknown_scan: 404,
  same_decision: 409,
  invalid_request: 400,
};

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The lane's local display API: HTTP + WebSocket on 127.0.0.1 only, authenticated by a random
 * per-boot token (handed to the window in the URL fragment), with Host and Origin checks so no
 * other web page or rebinding DNS name can drive the lane.
 */
export class DisplayServer {
  /** The per-boot token; the display reads it from the URL fragment. */
  readonly token = randomBytes(32).toString('base64url');
  readonly #o: DisplayServerOptions;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  readonly #clients = new Set<Client>();
  #port = 0;
  #unsubscribe: (() => void) | null = null;

  constructor(options: DisplayServerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'display-api' });
    this.#http = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#http.on('upgrade', (req, socket, head) => {
      if (!this.#allowed(req) || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      const view =
        new URL(req.url ?? '/', 'http://x').searchParams.get('view') === 'traveller'
          ? 'traveller'
          : 'officer';
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const client: Client = { ws, view };
        this.#clients.add(client);
        this.#log.info({ view, clients: this.#clients.size }, 'display connected');
        ws.on('close', () => {
          this.#clients.delete(client);
          this.#log.info({ view, clients: this.#clients.size }, 'display disconnected');
        });
        ws.on('message', () => {
          // Commands go over HTTP; the socket only carries events to the display.
        });
        ws.send(
          JSON.stringify(
            view === 'officer'
              ? { type: 'hello', status: this.#o.agent.status(), camera: this.#o.camera ?? null }
              : { type: 'hello' },
          ),
        );
      });
    });
  }

  /** Listens on 127.0.0.1; answers the URL to open (with the token in its fragment). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#o.port ?? 0, '127.0.0.1', () => {
        resolve();
      });
    });
    this.#port = (this.#http.address() as AddressInfo).port;
    this.#unsubscribe = this.#o.agent.onEvent((event) => {
      this.broadcast(event.type, event.data);
    });
    this.#log.info({ port: this.#port }, 'display API listening');
    return `${this.origin()}/#token=${this.token}`;
  }

  /** `http://127.0.0.1:PORT`. */
  origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /**
   * Sends an event to every connected display. The traveller's view gets decisions as a colour
   * alone: no subject, no reasons, nothing else.
   */
  broadcast(type: string, data: unknown): void {
    const text = JSON.stringify({ type, data });
    const decision = (data as { decision?: unknown } | null)?.decision;
    const travellerText = type === 'decision' ? JSON.stringify({ type, data: { decision } }) : null;
    for (const { ws, view } of this.#clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (view === 'officer') ws.send(text);
      else if (travellerText !== null) ws.send(travellerText);
    }
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const { ws } of this.#clients) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#http.close(() => {
        resolve();
      }),
    );
  }

  /** Host must name this loopback listener; Origin, when sent, must be the display's own. */
  #allowed(req: IncomingMessage): boolean {
    const hosts = [`127.0.0.1:${this.#port}`, `localhost:${this.#port}`];
    if (!hosts.includes(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return false;
    return this.#tokenOf(req) !== null;
  }

  #tokenOf(req: IncomingMessage): string | null {
    const header = req.headers.authorization;
    const fromQuery = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    const given = header?.startsWith('Bearer ') ? header.slice(7) : fromQuery;
    if (given === null) return null;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b) ? given : null;
  }

  #serveStatic(pathname: string, res: ServerResponse): void {
    const found = staticFile(this.#o.staticDir, pathname);
    if (found) send(res, 200, readFileSync(found.file), found.type);
    else if (pathname === '/') send(res, 200, PLACEHOLDER, 'text/html; charset=utf-8');
    else throw new RequestError(404, 'not_found', 'no such page');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const hosts = [`127.0.0.1:${this.#port}`, `localhost:${this.#port}`];
      if (!hosts.includes(req.headers.host ?? '')) throw new RequestError(421, 'wrong_host', 'unknown Host');
      if (req.method === 'GET' && !url.pathname.startsWith('/api/')) {
        this.#serveStatic(url.pathname, res);
        return;
      }
      if (!url.pathname.startsWith('/api/')) throw new RequestError(404, 'not_found', 'no such page');
      if (!this.#allowed(req))
        throw new RequestError(403, 'forbidden', 'missing or wrong token, or foreign origin');
      const agent = this.#o.agent;
      if (req.method === 'GET' && url.pathname === '/api/status') {
        sendJson(res, 200, agent.status());
      } else if (req.method === 'POST' && url.pathname === '/api/scans') {
        const body = await readJson(req);
        if (typeof body['text'] !== 'string' || body['text'].length > 1024) {
          throw new RequestError(400, 'bad_text', 'text: the code typed, up to 1024 characters');
        }
        const source: DisplaySource =
          body['source'] === 'wedge' || body['source'] === 'camera' ? body['source'] : 'manual';
        sendJson(res, 200, agent.submit(body['text'], source));
      } else if (req.method === 'POST' && url.pathname === '/api/overrides') {
        const body = await readJson(req);
        const { scanId, decision, officerPin, supervisorPin, reason, note } = body;
        if (
          typeof scanId !== 'string' ||
          typeof officerPin !== 'string' ||
          typeof reason !== 'string' ||
          !DECISIONS.includes(decision as never) ||
          (supervisorPin !== undefined && typeof supervisorPin !== 'string') ||
          (note !== undefined && typeof note !== 'string')
        ) {
          throw new RequestError(400, 'bad_override', 'scanId, decision, officerPin and reason are required');
        }
        const result = agent.override({
          scanId,
          decision: decision as OverrideRequest['decision'],
          officerPin,
          supervisorPin,
          reason,
          note,
        });
        if (result.ok) sendJson(res, 201, result.record);
        else
          sendJson(res, OVERRIDE_STATUS[result.error] ?? 400, { error: result.error, message: result.error });
      } else if (req.method === 'POST' && url.pathname === '/api/acknowledge') {
        const body = await readJson(req);
        if (typeof body['scanId'] !== 'string')
          throw new RequestError(400, 'bad_scan_id', 'scanId is required');
        if (!agent.acknowledge(body['scanId'])) throw new RequestError(404, 'unknown_scan', 'no such scan');
        send(res, 204, '', 'text/plain');
      } else {
        throw new RequestError(404, 'not_found', 'no such route');
      }
    } catch (error) {
      if (error instanceof RequestError) {
        sendJson(res, error.status, { error: error.code, message: error.message });
      } else {
        this.#log.error({ err: error instanceof Error ? error.message : String(error) }, 'display API error');
        sendJson(res, 500, { error: 'internal', message: 'internal error' });
      }
    }
  }
}

/** Pages and assets of the built display; only known files, never a path from the request. */
function staticFile(dir: string | undefined, pathname: string): { file: string; type: string } | null {
  if (dir === undefined) return null;
  const name =
    pathname === '/'
      ? 'index.html'
      : pathname === '/traveller'
        ? 'traveller.html'
        : /^\/assets\/[\w.-]+$/.test(pathname)
          ? pathname.slice(1)
          : null;
  if (name === null || name.includes('..')) return null;
  const file = join(dir, name);
  const type = CONTENT_TYPES[extname(name)];
  return type !== undefined && existsSync(file) ? { file, type } : null;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new RequestError(415, 'not_json', 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RequestError(413, 'too_large', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new RequestError(400, 'bad_json', 'the body is not a JSON object');
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob: mediastream:",
      "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
      "worker-src 'self' blob:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; '),
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

const PLACEHOLDER = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>checkpoint-lane</title>
<body><h1>Làn kiểm soát</h1><p>Màn hình làn đang được xây dựng. / The lane display is not built yet.</p></body></html>`;

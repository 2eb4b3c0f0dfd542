import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LaneDecision } from '../agent/decision-loop.js';
import type { AcknowledgeResult } from '../agent/desk.js';
import type { OverrideResult } from '../agent/override.js';
import {
  AcknowledgeRequestSchema,
  checkManualEntry,
  OverrideRequestSchema,
  RecordId,
  type Desk,
  type DeskOfficer,
  type OverrideRequestBody,
} from '@checkpoint-lane/shared';
import Value from 'typebox/value';
import { cookieValue, DisplayAuth, DISPLAY_VIEWS, VIEW_PATHS, type DisplayView } from './display-auth.js';

export type { DisplayView } from './display-auth.js';

/**
 * What a window launcher hears about its own link: `used` when the code is traded for a session,
 * `replayed` when the code is presented again after that (its window was refused: someone else
 * used the link first).
 */
export interface LinkWatch {
  readonly used?: () => void;
  readonly replayed?: () => void;
}

/** Watched links remembered (unused or spent); minting more forgets the oldest. */
const MAX_WATCHED_LINKS = 32;

/** Where a code the display sends came from: the keypad, a keyboard-wedge scanner, the camera. */
export type DisplaySource = 'manual' | 'wedge' | 'camera';

/** What the display may ask of the lane agent. */
export interface DisplayAgent {
  submit(text: string, source: DisplaySource): LaneDecision;
  override(scanId: string, body: OverrideRequestBody): Promise<OverrideResult>;
  /** "Đã xem" on scan `scanId`: refused (never redirected) when it is unknown or already handled. */
  acknowledge(scanId: string, note?: string): AcknowledgeResult;
  /** The officer's desk (pending scans, the last 20), sent in every officer `hello`. */
  desk(): Desk;
  status(): unknown;
  /** The officers the override dialog lists (no PIN hashes), with their lock-out state. */
  officers(): DeskOfficer[];
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
  /** Called when a one-time link is used (`--display serve` then writes a fresh one). */
  readonly onLinkUsed?: (view: DisplayView) => void;
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

/** A watched link's key: the SHA-256 of its code, so the code itself is not kept. */
const linkKey = (code: string): string => createHash('sha256').update(code).digest('base64url');
const OVERRIDE_STATUS: Record<string, number> = {
  wrong_pin: 403,
  unknown_officer: 404,
  not_supervisor: 403,
  locked_out: 429,
  needs_supervisor: 403,
  supervisor_same_officer: 403,
  unknown_scan: 404,
  same_decision: 409,
  invalid_request: 400,
};

const TICK_MS = 1000;
const SCAN_ACTION = /^\/api\/scans\/([^/]+)\/(acknowledge|override)$/;
const OVERRIDE_MESSAGES: Record<string, string> = {
  wrong_pin: 'wrong PIN',
  unknown_officer: 'no such officer at this lane',
  not_supervisor: 'this officer is not a supervisor',
  locked_out: 'this officer is locked after repeated wrong PINs',
  needs_supervisor: 'turning a health red green needs a supervisor',
  supervisor_same_officer: 'the supervisor must be another officer',
  unknown_scan: 'no scan with this id at this lane',
  same_decision: 'the scan already has this decision',
  invalid_request: 'a reason is needed ("other" needs a note)',
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
 * The lane's local display API: HTTP + WebSocket on 127.0.0.1 only, with Host and Origin checks
 * so no other web page or rebinding DNS name can drive the lane. A window is let in by a
 * one-time link (`/?code=…`, `/traveller?code=…`) whose code buys an HttpOnly, SameSite=Strict
 * session cookie bound to that link's view: the traveller's capability never reaches the
 * officer page, the officer WebSocket or any `/api` action.
 */
export class DisplayServer {
  readonly #auth = new DisplayAuth();
  /** Watched window links by code digest (never the code itself). */
  readonly #watched = new Map<string, { readonly watch: LinkWatch; spent: boolean }>();
  readonly #o: DisplayServerOptions;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  readonly #clients = new Set<Client>();
  #port = 0;
  #unsubscribe: (() => void) | null = null;
  #ticker: NodeJS.Timeout | undefined;

  constructor(options: DisplayServerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'display-api' });
    this.#http = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const view: DisplayView = url.searchParams.get('view') === 'traveller' ? 'traveller' : 'officer';
      if (!this.#allowed(req) || url.pathname !== '/ws' || !this.#may(req, view)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
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
              ? {
                  type: 'hello',
                  status: this.#o.agent.status(),
                  camera: this.#o.camera ?? null,
                  desk: this.#o.agent.desk(),
                }
              : { type: 'hello' },
          ),
        );
      });
    });
  }

  /** Listens on 127.0.0.1; answers its origin (open a screen with {@link mintLink}). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#o.port ?? 0, '127.0.0.1', () => {
        resolve();
      });
    });
    this.#port = (this.#http.address() as AddressInfo).port;
    // A tick every second lets a display tell a live agent from a dead or hung one (no tick for 3 s).
    this.#ticker = setInterval(() => {
      this.broadcast('tick', { at: Date.now() });
    }, TICK_MS);
    this.#ticker.unref();
    this.#unsubscribe = this.#o.agent.onEvent((event) => {
      this.broadcast(event.type, event.data, (event as { latest?: unknown }).latest);
    });
    this.#log.info({ port: this.#port }, 'display API listening');
    return this.origin();
  }

  /**
   * A one-time link to `view`'s page: its first load trades the code for a session cookie and
   * lands on the clean page URL; any later load of the same link is refused. `ttlMs` bounds an
   * unused link's life (a window's link on a command line); without it, it waits for its use.
   */
  mintLink(view: DisplayView, ttlMs?: number, watch?: LinkWatch): string {
    const code = this.#auth.mintCode(view, ttlMs);
    if (watch !== undefined) {
      this.#watched.set(linkKey(code), { watch, spent: false });
      for (const key of [...this.#watched.keys()].slice(
        0,
        Math.max(0, this.#watched.size - MAX_WATCHED_LINKS),
      ))
        this.#watched.delete(key);
    }
    return `${this.origin()}${VIEW_PATHS[view]}?code=${code}`;
  }

  /**
   * A `Cookie` header value carrying a new session of `view`, for programmatic clients in this
   * process (tests, benches): the same credential a browser gets, never put in a URL.
   */
  sessionCookie(view: DisplayView): string {
    return `${this.#cookieName(view)}=${this.#auth.openSession(view)}`;
  }

  /** `http://127.0.0.1:PORT`. */
  origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /**
   * Sends an event to the displays allowed to see it: the traveller's view gets `traveller`
   * events only (go / see an officer, the same for red and amber); the officer's view gets
   * everything else (desk, decisions, devices, sync, ticks).
   */
  broadcast(type: string, data: unknown, latest?: unknown): void {
    const text = JSON.stringify(latest === undefined ? { type, data } : { type, data, latest });
    const forTraveller = type === 'traveller';
    for (const { ws, view } of this.#clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if ((view === 'traveller') === forTraveller) ws.send(text);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#ticker);
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
    return origin === undefined || hosts.some((h) => origin === `http://${h}`);
  }

  /**
   * The session cookie of each view. Cookies ignore ports, so the name carries this listener's:
   * two lanes on one machine (or one browser showing both) never overwrite each other's.
   */
  #cookieName(view: DisplayView): string {
    return `lane-${String(this.#port)}-${view}`;
  }

  /** May this request act with `view`'s capability? The officer's session covers both views. */
  #may(req: IncomingMessage, view: DisplayView): boolean {
    const held = DISPLAY_VIEWS.filter((v) => {
      const id = cookieValue(req.headers.cookie, this.#cookieName(v));
      return id !== null && this.#auth.sessionView(id) === v;
    });
    return held.includes('officer') || held.includes(view);
  }

  /**
   * `GET /?code=…` or `/traveller?code=…`: a one-time link. The code becomes a session cookie
   * and the browser goes on to the clean page URL (so a reload never replays the code).
   */
  #redeem(code: string, req: IncomingMessage, res: ServerResponse): void {
    const view = this.#auth.redeem(code);
    const watched = this.#watched.get(linkKey(code));
    if (view === null) {
      this.#log.warn('a used or unknown display link was refused');
      send(res, 403, REFUSED_PAGE, 'text/html; charset=utf-8');
      if (watched?.spent === true) this.#tell(() => watched.watch.replayed?.());
      return;
    }
    if (watched !== undefined) {
      watched.spent = true;
      this.#tell(() => watched.watch.used?.());
    }
    const cookie = `${this.#cookieName(view)}=${this.#auth.openSession(view)}; HttpOnly; SameSite=Strict; Path=/`;
    res.setHeader('set-cookie', cookie);
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      // Opened from another site or a file:// page (a Chromium window's launch page): a redirect
      // would stay in that cross-site navigation and the browser would hold back the Strict
      // cookie, so a page of this origin moves on to the clean URL instead.
      send(res, 200, continuePage(VIEW_PATHS[view]), 'text/html; charset=utf-8');
    } else {
      res.setHeader('location', VIEW_PATHS[view]);
      send(res, 303, '', 'text/plain; charset=utf-8');
    }
    this.#log.info({ view }, 'display link used; session opened');
    try {
      this.#o.onLinkUsed?.(view);
    } catch (error) {
      // The page is already answered; a failing listener (a full disk, say) must not take it down.
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'link-used listener failed',
      );
    }
  }

  /** Runs a link watcher; the page is already answered, so a failing one is only logged. */
  #tell(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.#log.error({ err: error instanceof Error ? error.message : String(error) }, 'link watcher failed');
    }
  }

  /**
   * `POST /api/scans/{scanId}/acknowledge` and `…/override`: every action names its scan, so a
   * dialog opened on one traveller can never act on the next. A scan already handled answers
   * 409 with why; an unknown one 404.
   */
  async #scanAction(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const [, scanId = '', action] = SCAN_ACTION.exec(pathname) ?? [];
    if (!Value.Check(RecordId, scanId)) throw new RequestError(404, 'unknown_scan', 'no scan with this id');
    const body = await readJson(req);
    if (action === 'acknowledge') {
      if (!Value.Check(AcknowledgeRequestSchema, body)) {
        throw new RequestError(
          400,
          'bad_acknowledge',
          'the body may only hold a note (up to 500 characters)',
        );
      }
      const result = this.#o.agent.acknowledge(scanId, body.note);
      if (result.ok) sendJson(res, 201, result.record);
      else sendJson(res, result.error === 'unknown_scan' ? 404 : 409, result);
      return;
    }
    if (!Value.Check(OverrideRequestSchema, body)) {
      throw new RequestError(
        400,
        'bad_override',
        'decision, officerId, officerPin (4–8 digits) and reason are required; nothing else is accepted',
      );
    }
    const result = await this.#o.agent.override(scanId, body);
    if (result.ok) sendJson(res, 201, result.record);
    else
      sendJson(res, OVERRIDE_STATUS[result.error] ?? 400, {
        ...result,
        message: OVERRIDE_MESSAGES[result.error] ?? result.error,
      });
  }

  /** Pages need their view's session; assets (code and styles, no data) any session. */
  #serveStatic(req: IncomingMessage, pathname: string, res: ServerResponse): void {
    const needs: DisplayView | 'any' =
      pathname === '/' ? 'officer' : pathname === '/traveller' ? 'traveller' : 'any';
    const allowed = needs === 'any' ? DISPLAY_VIEWS.some((v) => this.#may(req, v)) : this.#may(req, needs);
    if (!allowed) {
      send(res, 403, REFUSED_PAGE, 'text/html; charset=utf-8');
      return;
    }
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
      const code = url.searchParams.get('code');
      if (req.method === 'GET' && code !== null && Object.values(VIEW_PATHS).includes(url.pathname)) {
        this.#redeem(code, req, res);
        return;
      }
      if (req.method === 'GET' && !url.pathname.startsWith('/api/')) {
        this.#serveStatic(req, url.pathname, res);
        return;
      }
      if (!url.pathname.startsWith('/api/')) throw new RequestError(404, 'not_found', 'no such page');
      if (!this.#allowed(req) || !this.#may(req, 'officer'))
        throw new RequestError(403, 'forbidden', 'no officer session, or a foreign origin');
      const agent = this.#o.agent;
      if (req.method === 'GET' && url.pathname === '/api/status') {
        sendJson(res, 200, agent.status());
      } else if (req.method === 'GET' && url.pathname === '/api/officers') {
        sendJson(res, 200, agent.officers());
      } else if (req.method === 'POST' && url.pathname === '/api/scans') {
        const body = await readJson(req);
        if (typeof body['text'] !== 'string' || body['text'].length > 1024) {
          throw new RequestError(400, 'bad_text', 'text: the code typed, up to 1024 characters');
        }
        const source: DisplaySource =
          body['source'] === 'wedge' || body['source'] === 'camera' ? body['source'] : 'manual';
        let text = body['text'];
        if (source === 'manual') {
          // A typed code is checked before it is decided: a typo is refused, never recorded as amber.
          const check = checkManualEntry(text, Date.now());
          if (!check.ok) {
            sendJson(res, 422, {
              error: 'invalid_entry',
              reason: check.error.reason,
              ...(check.error.digits === undefined ? {} : { digits: check.error.digits }),
              message: `not a valid ID, plate or passport (${check.error.reason})`,
            });
            return;
          }
          text = check.value.text;
        }
        sendJson(res, 200, agent.submit(text, source));
      } else if (req.method === 'POST' && SCAN_ACTION.test(url.pathname)) {
        await this.#scanAction(req, res, url.pathname);
      } else if (req.method === 'POST' && url.pathname === '/api/overrides') {
        // The older form (scan id in the body); the display uses /api/scans/{scanId}/override.
        const { scanId, ...body } = await readJson(req);
        if (typeof scanId !== 'string' || !Value.Check(OverrideRequestSchema, body)) {
          throw new RequestError(
            400,
            'bad_override',
            'scanId, decision, officerId, officerPin and reason are required',
          );
        }
        const result = await agent.override(scanId, body);
        if (result.ok) sendJson(res, 201, result.record);
        else sendJson(res, OVERRIDE_STATUS[result.error] ?? 400, { ...result, message: result.error });
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

// The page's CSP allows no inline style and a refused visitor gets no assets, so plain HTML
// presentation attributes make it dark and large.
const REFUSED_PAGE = `<!doctype html><html lang="vi"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Liên kết đã được dùng</title>
<body bgcolor="#111111" text="#ffffff"><table width="100%" border="0" cellpadding="24"><tr><td align="center">
<font size="7" color="#fc8181" aria-hidden="true">✕</font>
<h1><font size="7">Liên kết đã được dùng —<br>gọi kỹ&nbsp;thuật</font></h1>
<p lang="en"><font size="6">This link was already used — call a technician</font></p>
<p><br><font size="3" color="#a0aec0">Kỹ thuật: mở liên kết mới trong <code>display.json</code> của làn · Technician: open a fresh link from the lane's <code>display.json</code></font></p>
</td></tr></table></body></html>`;

/** Moves on to a view's page by a same-origin navigation (no script: the CSP allows none inline). */
const continuePage = (path: string): string =>
  `<!doctype html><html lang="vi"><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${path}">` +
  '<title>checkpoint-lane</title><body></body></html>';

const PLACEHOLDER = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>checkpoint-lane</title>
<body><h1>Làn kiểm soát</h1><p>Màn hình làn đang được xây dựng. / The lane display is not built yet.</p></body></html>`;

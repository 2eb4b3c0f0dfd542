// The lane's local display API: pages, one-time links and sessions, the `/api` actions and the
// `/ws` event stream, on 127.0.0.1 only. The jobs are split by file: display-auth.ts (codes and
// sessions), display-routes.ts (actions), display-stream.ts (WebSocket), display-static.ts
// (pages and assets), display-http.ts (bodies and answers).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchDisplayAction, type DisplayMessage } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { DisplayAgent } from './display-agent.js';
import { cookieValue, DisplayAuth, DISPLAY_VIEWS, VIEW_PATHS, type DisplayView } from './display-auth.js';
import { RequestError, send, sendJson } from './display-http.js';
import { answerAction } from './display-routes.js';
import { continuePage, HTML, PLACEHOLDER, REFUSED_PAGE, staticFile } from './display-static.js';
import { DisplayStream } from './display-stream.js';

export type { DisplayView } from './display-auth.js';
export type { DisplayAgent, DisplaySource } from './display-agent.js';

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

/** A watched link's key: the SHA-256 of its code, so the code itself is not kept. */
const linkKey = (code: string): string => createHash('sha256').update(code).digest('base64url');

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
  readonly #stream: DisplayStream;
  #port = 0;

  constructor(options: DisplayServerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'display-api' });
    this.#stream = new DisplayStream(options.agent, options.camera ?? null, this.#log);
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
      this.#stream.accept(req, socket, head, view);
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
    this.#stream.start();
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

  /** Sends a message to the displays allowed to see it (see {@link DisplayStream.broadcast}). */
  broadcast(message: DisplayMessage): void {
    this.#stream.broadcast(message);
  }

  /** Closes every socket and the listener. */
  async stop(): Promise<void> {
    this.#stream.stop();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#http.close(() => {
        resolve();
      }),
    );
  }

  /** The Host values that name this loopback listener. */
  #hosts(): string[] {
    return [`127.0.0.1:${this.#port}`, `localhost:${this.#port}`];
  }

  /** Host must name this loopback listener; Origin, when sent, must be the display's own. */
  #allowed(req: IncomingMessage): boolean {
    const hosts = this.#hosts();
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
      send(res, 403, REFUSED_PAGE, HTML);
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
      send(res, 200, continuePage(VIEW_PATHS[view]), HTML);
    } else {
      res.setHeader('location', VIEW_PATHS[view]);
      send(res, 303, '', 'text/plain; charset=utf-8');
    }
    this.#log.info({ view }, 'display link used; session opened');
    // The page is already answered; a failing listener (a full disk, say) must not take it down.
    this.#tell(() => this.#o.onLinkUsed?.(view), 'link-used listener failed');
  }

  /** Runs a link listener; the page is already answered, so a failing one is only logged. */
  #tell(listener: () => void, failure = 'link watcher failed'): void {
    try {
      listener();
    } catch (error) {
      this.#log.error({ err: error instanceof Error ? error.message : String(error) }, failure);
    }
  }

  /** Pages need their view's session; assets (code and styles, no data) any session. */
  #serveStatic(req: IncomingMessage, pathname: string, res: ServerResponse): void {
    const needs: DisplayView | 'any' =
      pathname === '/' ? 'officer' : pathname === '/traveller' ? 'traveller' : 'any';
    const allowed = needs === 'any' ? DISPLAY_VIEWS.some((v) => this.#may(req, v)) : this.#may(req, needs);
    if (!allowed) {
      send(res, 403, REFUSED_PAGE, HTML);
      return;
    }
    const found = staticFile(this.#o.staticDir, pathname);
    if (found) send(res, 200, readFileSync(found.file), found.type);
    else if (pathname === '/') send(res, 200, PLACEHOLDER, HTML);
    else throw new RequestError(404, 'not_found', 'no such page');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!this.#hosts().includes(req.headers.host ?? ''))
        throw new RequestError(421, 'wrong_host', 'unknown Host');
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
      const match = matchDisplayAction(req.method ?? '', url.pathname);
      if (match === null) throw new RequestError(404, 'not_found', 'no such route');
      await answerAction(this.#o.agent, match.action, match.scanId, req, res);
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

// A real HTTP server on 127.0.0.1 that plays the sync server's kiosk API for the lane's sync
// unit tests: each test routes what it needs, reads what the lane sent and pushes events on
// the open event streams. Nothing is faked below HTTP: the lane talks through `ServerApi`.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSubjectText, type ListKeyAnswer } from '@checkpoint-lane/shared';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import { ServerApi } from './server-api.js';

/** A request the lane made (path below `/api/v1/kiosk`). */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
}

/** What a route answers: JSON, or raw bytes (a snapshot), with a status and headers. */
export interface FakeAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sends only this many of `bytes` (with the whole `Content-Length`), then drops the connection. */
  readonly cutAfter?: number;
}

/** Answers one route; may wait (a slow server). */
export type FakeRoute = (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

const PREFIX = '/api/v1/kiosk';

/** The sync server's kiosk API on a loopback port, routed by the test. */
export class FakeSyncServer {
  /** Every request, in arrival order. */
  readonly requests: FakeRequest[] = [];
  readonly #routes = new Map<string, FakeRoute>();
  readonly #streams = new Set<ServerResponse>();
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const text = Buffer.concat(chunks).toString('utf8');
        const request: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        };
        this.requests.push(request);
        void this.#answer(request, res);
      });
    });
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<FakeSyncServer> {
    const fake = new FakeSyncServer();
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Its base URL. */
  get url(): string {
    return this.#url;
  }

  /** A `ServerApi` for this server (short timeout: a test never waits long for an answer). */
  api(token = 'lane-token'): ServerApi {
    return new ServerApi(this.#url, token, 5000);
  }

  /**
   * Routes `method path` (path below `/api/v1/kiosk`, e.g. `/heartbeat`) to `handler`.
   * `GET /events` is an open event stream unless routed otherwise.
   */
  route(method: string, path: string, handler: FakeRoute): this {
    this.#routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** The requests made to `method path`. */
  calls(method: string, path: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  /** How many event streams are open. */
  streams(): number {
    return this.#streams.size;
  }

  /** Sends one event on every open event stream (`data` as JSON, or as given when a string). */
  push(event: string, data: unknown): void {
    const body = typeof data === 'string' ? data : JSON.stringify(data);
    for (const s of this.#streams) s.write(`event: ${event}\ndata: ${body}\n\n`);
  }

  /** Ends every open event stream (the lane reconnects). */
  endStreams(): void {
    for (const s of this.#streams) s.end();
    this.#streams.clear();
  }

  /** Stops the server, ending every connection. */
  async close(): Promise<void> {
    this.endStreams();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #answer(req: FakeRequest, res: ServerResponse): Promise<void> {
    const route = this.#routes.get(`${req.method} ${req.path}`);
    if (route === undefined && req.method === 'GET' && req.path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': open\n\n');
      this.#streams.add(res);
      res.on('close', () => this.#streams.delete(res));
      return;
    }
    const answer: FakeAnswer = route
      ? await route(req)
      : { status: 404, json: { error: 'not_found', message: `no route ${req.method} ${req.path}` } };
    const status = answer.status ?? 200;
    if (answer.bytes !== undefined && answer.cutAfter !== undefined) {
      const bytes = Buffer.from(answer.bytes);
      res.writeHead(status, {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
        ...answer.headers,
      });
      res.write(bytes.subarray(0, answer.cutAfter), () => res.destroy());
    } else if (answer.bytes !== undefined) {
      res.writeHead(status, { 'content-type': 'application/octet-stream', ...answer.headers });
      res.end(Buffer.from(answer.bytes));
    } else {
      res.writeHead(status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
    }
  }
}

/**
 * One key scope as the sync server keeps it: its list keys K by id (the current one the
 * newest), its scan seal key pair, what `GET /list-key` answers, and subjects keyed with any of
 * its keys (what the server's keyed snapshots, deltas and pushes hold).
 */
export class FakeKeyScope {
  readonly #keys = new Map<number, Buffer>();
  #current: number;
  /** The scan seal key pair (the public half goes to lanes). */
  readonly seal: { readonly publicKey: string; readonly privateKey: KeyObject };

  /** A scope whose current key is `keyId` (random bytes unless `key` is given). */
  constructor(keyId = 1, key: Buffer = randomBytes(32)) {
    this.#keys.set(keyId, key);
    this.#current = keyId;
    const pair = generateKeyPairSync('x25519');
    const x = pair.publicKey.export({ format: 'jwk' }).x ?? '';
    this.seal = { publicKey: Buffer.from(x, 'base64url').toString('base64'), privateKey: pair.privateKey };
  }

  /** The id of the current key. */
  get current(): number {
    return this.#current;
  }

  /** Rotates: a new random key with the next id becomes current; answers its id. */
  rotate(): number {
    this.#current = Math.max(...this.#keys.keys()) + 1;
    this.#keys.set(this.#current, randomBytes(32));
    return this.#current;
  }

  /** Key `keyId`'s bytes (default: the current key). */
  key(keyId = this.#current): Buffer {
    const key = this.#keys.get(keyId);
    if (key === undefined) throw new Error(`no list key ${keyId} in this scope`);
    return key;
  }

  /** What `GET /list-key` answers: the current key and the scan seal key. */
  answer(): ListKeyAnswer {
    return {
      keyId: this.#current,
      listKey: this.key().toString('base64'),
      scanSealKey: this.seal.publicKey,
    };
  }

  /** A subject (as scanned) keyed with key `keyId` (default: the current key). */
  subjectKey(text: string, keyId = this.#current): bigint {
    const subject = parseSubjectText(text);
    if (subject === null) throw new Error('not a subject');
    return createSubjectKeyer(this.key(keyId))(subject);
  }

  /** Routes `GET /list-key` on `server` to this scope's current answer. */
  serve(server: FakeSyncServer): void {
    server.route('GET', '/list-key', () => ({ json: this.answer() }));
  }
}

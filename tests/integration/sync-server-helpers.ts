// Helpers for the sync-server integration tests: a real server process or a real listener.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, hashToken, openDatabase, type ServerOptions } from '@checkpoint-lane/sync-server';
import { afterAll, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The built server entry point (`npx tsc -b` first). */
export const SERVER_JS = fileURLToPath(
  new URL('../../sync-server/dist/cli/checkpoint-server.js', import.meta.url),
);

/** A server built from source, listening on 127.0.0.1 for one test file. */
export interface LoopbackServer {
  readonly dir: string;
  /** Its base URL (set once the file's `beforeAll` has run). */
  readonly url: string;
}

/**
 * Builds the server on a fresh SQLite file and listens on 127.0.0.1 for the tests of one file
 * (registers its own `beforeAll`/`afterAll`); the directory is removed afterwards.
 */
export async function useLoopbackServer(
  prefix: string,
  adminToken: string,
  options: Partial<ServerOptions> = {},
): Promise<LoopbackServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = openDatabase(join(dir, 'server.db'));
  const app = await buildServer({
    db,
    adminTokenHash: hashToken(adminToken),
    listKey: Buffer.alloc(32, 1),
    snapshotDir: join(dir, 'snapshots'),
    logger: false,
    ...options,
  });
  const server = { dir, url: '' };
  beforeAll(async () => {
    server.url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

/** A server process and its base URL. */
export interface ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly output: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Spawns `checkpoint-server --port 0` and waits for its "listening on" line. */
export async function startServerProcess(dataDir: string, adminToken: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [SERVER_JS, '--port', '0', '--host', '127.0.0.1', '--data', dataDir],
    {
      env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: adminToken },
    },
  );
  const output: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => {
      reject(new Error(`server exited (${code}) before listening:\n${output.join('\n')}`));
    });
  });
  return { child, url, output, exited };
}

/** JSON request helper over fetch; the caller names the JSON shape it expects. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export async function call<T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...(init.token !== undefined && { authorization: `Bearer ${init.token}` }),
      ...init.headers,
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** A minimal SSE client over fetch: `next(name)` resolves with the next event of that name. */
export class SseClient {
  private readonly queue: SseEvent[] = [];
  private waiters: { name: string; resolve: (e: SseEvent) => void; reject: (e: Error) => void }[] = [];
  private readonly controller = new AbortController();
  ended = false;
  private endedResolve: () => void = () => undefined;
  /** Resolves when the server ends the stream. */
  readonly closed = new Promise<void>((r) => {
    this.endedResolve = r;
  });

  private constructor() {}

  /** Opens a stream; resolves once the response headers arrived. */
  static async open(url: string, token: string): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: c.controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: ${res.status}`);
    void c.pump(res.body);
    return c;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') this.deliver({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.endedResolve();
    for (const w of this.waiters) w.reject(new Error(`stream ended while waiting for ${w.name}`));
    this.waiters = [];
  }

  private deliver(e: SseEvent): void {
    const i = this.waiters.findIndex((w) => w.name === e.event);
    const w = this.waiters[i];
    if (w) {
      this.waiters.splice(i, 1);
      w.resolve(e);
    } else this.queue.push(e);
  }

  /** The next event with this name (already received or still to come). */
  next(name: string): Promise<SseEvent> {
    const i = this.queue.findIndex((e) => e.event === name);
    const e = this.queue[i];
    if (e) {
      this.queue.splice(i, 1);
      return Promise.resolve(e);
    }
    if (this.ended) return Promise.reject(new Error(`stream ended; no ${name}`));
    return new Promise((resolve, reject) => this.waiters.push({ name, resolve, reject }));
  }

  /** Whether an event with this name has arrived and not been taken yet. */
  received(name: string): boolean {
    return this.queue.some((e) => e.event === name);
  }

  /** Aborts the stream. */
  close(): void {
    this.controller.abort();
  }
}

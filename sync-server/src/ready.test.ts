// GET /ready (readiness) and the drain before a shutdown, on a real SQLite server listening on
// 127.0.0.1: ready while the database answers; once draining, 503 `draining`, open admin event
// streams get a retry hint and end, new ones are refused, /health (liveness) still answers 200.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './testing/build-test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Reads a response body to its end as text (resolves when the server ends the stream). */
async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

describe('GET /ready', () => {
  it('answers ready on SQLite and is in openapi.json', async () => {
    t = await buildTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, object>;
    }>();
    expect(doc.paths).toHaveProperty(['/ready']);
  });

  it('answers 503 database_unreachable once the database is closed', async () => {
    t = await buildTestApp();
    t.db.close();
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_ready', reason: 'database_unreachable' });
  });

  it('drains: 503 draining, open event streams get a retry hint and end, new ones are refused, /health stays 200', async () => {
    t = await buildTestApp();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await fetch(`${base}/api/v1/admin/events`, { headers: t.admin });
    expect(stream.status).toBe(200);
    if (!stream.body) throw new Error('no body');
    const text = readAll(stream.body);

    const started = Date.now();
    await t.app.drain(5_000);
    // Nothing else was in flight: the wait ended once the stream had closed, not after 5 s.
    expect(Date.now() - started).toBeLessThan(3_000);
    const received = await text;
    const retries = [...received.matchAll(/^retry: (\d+)$/gm)].map((m) => Number(m[1]));
    // The first hint comes with the stream's opening; the drain adds one of 1..4 s.
    expect(retries.length).toBe(2);
    expect(retries[1]).toBeGreaterThanOrEqual(1000);
    expect(retries[1]).toBeLessThan(4000);

    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', reason: 'draining' });
    const again = await fetch(`${base}/api/v1/admin/events`, { headers: t.admin });
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toBe('2');
    expect(await again.json()).toMatchObject({ error: 'draining' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('waits for a request in flight, at most the grace', async () => {
    t = await buildTestApp();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // A request whose body never ends stays in flight.
    let push: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        push = c;
      },
    });
    push?.enqueue(new TextEncoder().encode('{"id":"CP1",'));
    const pending = fetch(`${base}/api/v1/admin/checkpoints`, {
      method: 'POST',
      headers: { ...t.admin, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await t.app.drain(600);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(2_000);
    push?.close();
    await pending;
  });
});

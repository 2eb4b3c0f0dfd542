import { createServer } from 'node:net';
import type { LaneRecord } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSyncServer } from './fake-sync-server.testkit.js';
import { ServerApi } from './server-api.js';
import { failsOver, parseServerList, ServerPool } from './server-pool.js';

const strict = { allowInsecureHttp: false };

describe('parseServerList', () => {
  it('keeps one URL as it is', () => {
    expect(parseServerList('https://sync.example.vn', strict)).toEqual({
      ok: true,
      value: ['https://sync.example.vn'],
    });
  });

  it('trims the parts of a list, drops empty ones and keeps their order', () => {
    expect(
      parseServerList(' https://b.example.vn , https://a.example.vn,, http://127.0.0.1:8080,', strict),
    ).toEqual({
      ok: true,
      value: ['https://b.example.vn', 'https://a.example.vn', 'http://127.0.0.1:8080'],
    });
  });

  it('refuses a server listed twice, in any spelling, naming it', () => {
    expect(parseServerList('https://a.example.vn,https://b.example.vn,https://a.example.vn', strict)).toEqual(
      {
        ok: false,
        error: 'lists https://a.example.vn twice',
      },
    );
    expect(parseServerList('https://A.example.vn/,https://a.example.vn', strict)).toEqual({
      ok: false,
      error: 'lists https://a.example.vn twice (as https://A.example.vn/)',
    });
  });

  it('refuses a bad entry, naming it, and a list of nothing', () => {
    const bad = parseServerList('https://a.example.vn,ftp://b.example.vn', strict);
    expect(bad).toMatchObject({ ok: false });
    if (!bad.ok) expect(bad.error).toContain('ftp://b.example.vn');
    const notUrl = parseServerList('https://a.example.vn, sync-b', strict);
    expect(notUrl.ok ? '' : notUrl.error).toContain('"sync-b" is not a URL');
    const insecure = parseServerList('https://a.example.vn,http://10.0.0.7:8080', strict);
    expect(insecure.ok ? '' : insecure.error).toContain('http://10.0.0.7:8080 is plain http://');
    expect(parseServerList('https://a.example.vn,http://10.0.0.7:8080', { allowInsecureHttp: true }).ok).toBe(
      true,
    );
    const none = parseServerList(' , ', strict);
    expect(none.ok ? '' : none.error).toContain('no server');
    const many = Array.from({ length: 65 }, (_, i) => `https://s${i}.example.vn`).join(',');
    const tooMany = parseServerList(many, strict);
    expect(tooMany.ok ? '' : tooMany.error).toContain('at most 64');
  });
});

/** A pool over `n` servers with a clock the test moves and no jitter (random 0.999). */
function pool(n: number, probe: (url: string) => Promise<boolean> = () => Promise.resolve(false)) {
  let now = 1_000_000;
  const probed: string[] = [];
  const p = new ServerPool(
    Array.from({ length: n }, (_, i) => `http://127.0.0.1:${9000 + i}`),
    {
      clock: () => now,
      random: () => 0.999,
      downBaseMs: 1000,
      downCapMs: 8000,
      preferFirstMs: 60_000,
      probe: (url) => {
        probed.push(url);
        return probe(url);
      },
    },
  );
  return {
    p,
    probed,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ServerPool', () => {
  it('starts on the first listed server and moves round-robin past failed ones', () => {
    const { p } = pool(3);
    expect(p.current()).toBe(0);
    p.failed(0, 'ECONNREFUSED');
    expect(p.current()).toBe(1);
    p.failed(1, 'HTTP 503');
    expect(p.current()).toBe(2);
    expect(p.stats()).toEqual({ index: 2, count: 3, failovers: 2 });
    // A failure of a server that is not current (a call still in flight) moves nothing.
    p.failed(0, 'ETIMEDOUT');
    expect(p.current()).toBe(2);
    expect(p.stats().failovers).toBe(2);
  });

  it('passes a failed server over for a back-off, doubled each failure in a row, capped, jittered', () => {
    const { p, advance } = pool(2);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      p.failed(0, 'x');
      seen.push(p.downForMs(0));
      advance(p.downForMs(0));
      expect(p.downForMs(0)).toBe(0);
    }
    // random 0.999 of min(cap 8 s, 1 s·2^n)
    expect(seen).toEqual([999, 1998, 3996, 7992, 7992]);
    p.succeeded(0); // an answer ends the run of failures
    p.failed(0, 'x');
    expect(p.downForMs(0)).toBe(999);
    expect(p.downForMs(1)).toBe(0);
    // The jitter never goes below half the base.
    const low = new ServerPool(['https://a.example.vn', 'https://b.example.vn'], {
      random: () => 0,
      downBaseMs: 1000,
      clock: () => 0,
    });
    low.failed(0, 'x');
    expect(low.downForMs(0)).toBe(500);
  });

  it('skips servers that are down; when all are, takes the one whose back-off ends first', () => {
    const { p, advance } = pool(3);
    p.failed(0, 'x'); // 0 down until +999
    expect(p.current()).toBe(1);
    p.failed(1, 'x');
    expect(p.current()).toBe(2);
    advance(1000); // all up again
    p.failed(0, 'x'); // a late failure of 0 (not current): down ~2 s, nothing moves
    expect(p.current()).toBe(2);
    p.failed(2, 'x'); // round-robin from 2: 0 is down, 1 is up
    expect(p.current()).toBe(1);
    advance(100);
    p.failed(1, 'x'); // everyone down: 2 (back at +999 from 100 ms ago) comes back first
    expect(p.downForMs(2)).toBeLessThan(p.downForMs(0));
    expect(p.current()).toBe(2);
    expect(p.stats().failovers).toBe(3); // a move while every server is down is not one
    // Once every back-off has ended, round-robin from 2 wraps to 0.
    advance(Math.max(p.downForMs(0), p.downForMs(1)));
    p.failed(2, 'x');
    expect(p.current()).toBe(0);
  });

  it('counts an answer as success: a server up again is chosen after the others fail', () => {
    const { p } = pool(2);
    p.failed(0, 'x');
    expect(p.current()).toBe(1);
    p.succeeded(0); // an in-flight call to 0 got an answer after all
    p.failed(1, 'x');
    expect(p.current()).toBe(0);
  });

  it('never moves with one server', () => {
    const { p } = pool(1);
    p.failed(0, 'ECONNREFUSED');
    p.failed(0, 'ECONNREFUSED');
    expect(p.current()).toBe(0);
    expect(p.stats()).toEqual({ index: 0, count: 1, failovers: 0 });
  });

  it('goes back to the first listed server when it answers GET /health, every preferFirstMs', async () => {
    let firstUp = false;
    const { p, probed, advance } = pool(3, (url) => Promise.resolve(url.endsWith(':9000') && firstUp));
    p.failed(0, 'x');
    p.failed(1, 'x');
    expect(p.current()).toBe(2);
    advance(59_000);
    expect(p.current()).toBe(2);
    expect(probed).toEqual([]); // not yet due
    advance(1000);
    expect(p.current()).toBe(2); // the probe runs in the background
    await p.recheck();
    expect(probed).toEqual(['http://127.0.0.1:9000', 'http://127.0.0.1:9001']);
    expect(p.current()).toBe(2); // neither answered
    advance(30_000);
    p.current();
    expect(probed).toHaveLength(2); // next round only a period after the last
    firstUp = true;
    advance(30_000);
    p.current();
    await p.recheck();
    expect(p.current()).toBe(0);
    expect(p.stats()).toEqual({ index: 0, count: 3, failovers: 2 });
  });
});

describe('failsOver', () => {
  it('is false for what is not an axios error', () => {
    expect(failsOver(new Error('bug'))).toBe(false);
  });
});

/** A loopback port nothing listens on. */
async function deadPort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

const record = (seq: number): LaneRecord =>
  ({
    type: 'scan',
    seq,
    id: `0190a0b0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  }) as unknown as LaneRecord;

describe('ServerApi over several servers', () => {
  const servers: FakeSyncServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const start = async (): Promise<FakeSyncServer> => {
    const s = await FakeSyncServer.start();
    servers.push(s);
    return s;
  };
  const acking = (s: FakeSyncServer): FakeSyncServer =>
    s.route('POST', '/scans', (req) => {
      const records = (req.body as { records: { seq: number }[] }).records;
      return { json: { ackedThrough: records.at(-1)?.seq ?? 0 } };
    });

  it('sends the same upload to the next server when the current one has no answer, and stays there', async () => {
    const b = acking(await start());
    const api = new ServerApi(`${await deadPort()},${b.url}`, 'tok', 2000);
    const batch = [record(1), record(2)];
    expect(await api.uploadRecords(batch)).toEqual({ ok: true, value: 2 });
    expect(b.calls('POST', '/scans').map((r) => r.body)).toEqual([{ records: batch }]);
    expect(b.calls('POST', '/scans')[0]?.headers.authorization).toBe('Bearer tok');
    expect(api.servers.stats()).toEqual({ index: 1, count: 2, failovers: 1 });
    expect(await api.uploadRecords([record(3)])).toEqual({ ok: true, value: 3 });
    expect(b.calls('POST', '/scans')).toHaveLength(2);
  });

  it('fails over on a 5xx answer and on a timeout', async () => {
    const a = await start();
    a.route('POST', '/scans', () => ({ status: 503, json: { error: 'unavailable', message: 'down' } }));
    const slow = await start();
    slow.route('POST', '/scans', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { json: { ackedThrough: 1 } };
    });
    const c = acking(await start());
    const api = new ServerApi(`${a.url},${c.url}`, 'tok', 500);
    expect(await api.uploadRecords([record(1)])).toEqual({ ok: true, value: 1 });
    expect(a.calls('POST', '/scans')).toHaveLength(1);
    expect(c.calls('POST', '/scans')).toHaveLength(1);
    const api2 = new ServerApi(`${slow.url},${c.url}`, 'tok', 500);
    expect(await api2.uploadRecords([record(1)])).toEqual({ ok: true, value: 1 });
    expect(api2.servers.stats().index).toBe(1);
  });

  it('takes a 4xx answer as the answer: no failover (401 revoked, 409, 410 keep their meaning)', async () => {
    const b = acking(await start());
    for (const [status, error] of [
      [401, 'unauthorized'],
      [409, 'conflict'],
      [410, 'gone'],
    ] as const) {
      const a = await start();
      a.route('POST', '/scans', () => ({ status, json: { error, message: error } }));
      a.route('GET', '/lists/health/changes', () => ({ status, json: { error, message: error } }));
      const api = new ServerApi(`${a.url},${b.url}`, 'tok', 2000);
      expect(await api.uploadRecords([record(1)])).toEqual({
        ok: false,
        error: { kind: 'http', status, code: error, message: error },
      });
      expect(await api.changes('health', 3)).toMatchObject({ ok: false, error: { kind: 'http', status } });
      expect(api.servers.stats()).toEqual({ index: 0, count: 2, failovers: 0 });
    }
    expect(b.requests).toEqual([]);
  });

  it('tries the next server once only: both failing is one offline failure', async () => {
    const a = await start();
    const b = await start();
    for (const s of [a, b])
      s.route('POST', '/scans', () => ({ status: 502, json: { error: 'bad_gateway', message: 'x' } }));
    const api = new ServerApi(`${a.url},${b.url}`, 'tok', 2000);
    expect(await api.uploadRecords([record(1)])).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 502 },
    });
    expect(a.calls('POST', '/scans')).toHaveLength(1);
    expect(b.calls('POST', '/scans')).toHaveLength(1);
  });

  it('with one server behaves as before: no second try', async () => {
    const a = await start();
    a.route('POST', '/scans', () => ({ status: 503, json: { error: 'unavailable', message: 'x' } }));
    const api = new ServerApi(a.url, 'tok', 2000);
    expect(await api.uploadRecords([record(1)])).toMatchObject({ ok: false, error: { status: 503 } });
    expect(a.calls('POST', '/scans')).toHaveLength(1);
  });

  it('opens the event stream on the next server when the current one cannot be reached', async () => {
    const b = await start();
    const api = new ServerApi(`${await deadPort()},${b.url}`, 'tok', 2000);
    const controller = new AbortController();
    const res = await api.events(controller.signal);
    expect(res.ok).toBe(true);
    await expect.poll(() => b.streams()).toBe(1);
    controller.abort();
  });

  it('does not fail over a call the lane aborted', async () => {
    const a = await start();
    const b = await start();
    a.route('GET', '/list-key', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return { status: 500, json: {} };
    });
    const api = new ServerApi(`${a.url},${b.url}`, 'tok', 5000);
    const controller = new AbortController();
    const pending = api.listKey(controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 100);
    expect(await pending).toMatchObject({ ok: false, error: { kind: 'offline' } });
    expect(b.requests).toEqual([]);
    expect(api.servers.stats().index).toBe(0);
  });

  it('reports where it stands in the heartbeat only when several servers are listed', async () => {
    const answer = { serverTime: 1, checkpoint: { id: 'C', name: 'C', mode: 'open' } };
    const report = { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: 1 };
    const a = await start();
    a.route('POST', '/heartbeat', () => ({ status: 504, json: {} }));
    const b = await start();
    b.route('POST', '/heartbeat', () => ({ json: answer }));
    await new ServerApi(`${a.url},${b.url}`, 'tok', 2000).heartbeat(report);
    expect(b.calls('POST', '/heartbeat')[0]?.body).toEqual({
      ...report,
      servers: { index: 1, count: 2, failovers: 1 },
    });
    await new ServerApi(b.url, 'tok', 2000).heartbeat(report);
    expect(b.calls('POST', '/heartbeat')[1]?.body).toEqual(report);
  });

  it('goes back to the first server once GET /health answers there', async () => {
    const a = acking(await start());
    a.route('GET', '/health', () => ({ json: { status: 'ok', time: 1 } }));
    const b = acking(await start());
    let now = 0;
    const api = new ServerApi(`${a.url},${b.url}`, 'tok', 2000, { clock: () => now, preferFirstMs: 1000 });
    api.servers.failed(0, 'test');
    expect(await api.uploadRecords([record(1)])).toEqual({ ok: true, value: 1 });
    expect(b.calls('POST', '/scans')).toHaveLength(1);
    now = 1000;
    api.servers.current();
    await api.servers.recheck();
    expect(await api.uploadRecords([record(2)])).toEqual({ ok: true, value: 2 });
    expect(a.calls('GET', '/health')).toHaveLength(1);
    expect(a.calls('POST', '/scans')).toHaveLength(1);
  });
});

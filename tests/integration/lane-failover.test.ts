// Lanes that fail over (`--server URL1,URL2,…`): a lane against real sync server processes
// that die and come back, and against real TCP proxies in front of one server that cut answers
// or refuse connections. Every scan reaches the server's database exactly once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insecureFileKeyStore, LaneAgent } from '@checkpoint-lane/kiosk';
import {
  FAST_SYNC,
  freePort,
  INSECURE_KEY_STORE_ARGS,
  LANE_JS,
  range,
  ServerUnderTest,
} from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const ADMIN = 'admin-token-for-lane-failover-0123456789';
/** Quick back-off of failed servers, so a test never waits long for one to be tried again. */
const SERVERS = { downBaseMs: 100, downCapMs: 500 };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-failover-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` until true (20 s at most). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A lane agent in this process with the given `--server` list; answers it and its kiosk id. */
async function openLane(
  name: string,
  servers: string,
  code: string,
  sync: { servers?: { preferFirstMs?: number; downBaseMs?: number; downCapMs?: number } } = {},
) {
  const agent = await LaneAgent.open({
    dataDir: join(dir, name),
    keyStore: insecureFileKeyStore(join(dir, name)),
    serverUrl: servers,
    enrollCode: code,
    laneName: name,
    scanners: [],
    logger,
    sync: { ...FAST_SYNC, servers: { ...SERVERS, ...sync.servers } },
  });
  const kioskId = agent.credentials?.kioskId;
  if (kioskId === undefined) throw new Error('the lane is locked');
  await agent.start(10_000);
  let n = 0;
  /** Scans `count` new subjects (all green at an open checkpoint). */
  const scan = (count: number): void => {
    for (let i = 0; i < count; i++) {
      n++;
      expect(agent.submit(`07920${String(n).padStart(7, '0')}`).decision).toBe('green');
    }
  };
  return { agent, kioskId, scan };
}

/**
 * A TCP proxy on a loopback port in front of a server. `cutUploads`: an upload goes through to
 * the server, which stores it and answers, but the answer never reaches the lane (the
 * connection is cut when it comes back). `close()` stops listening (connections refused) until
 * `open()` again on the same port.
 */
class Proxy {
  cutUploads = false;
  /** Requests seen, by their first line's method and path (`POST /api/v1/kiosk/scans`). */
  readonly seen: string[] = [];
  cut = 0;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(what: string): number {
    return this.seen.filter((s) => s === what).length;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.#sockets.add(client).add(upstream);
      let cutting = false;
      client.on('data', (chunk: Buffer) => {
        for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r$/gm)) {
          const request = `${m[1]} ${m[2]?.split('?')[0]}`;
          this.seen.push(request);
          if (this.cutUploads && request === 'POST /api/v1/kiosk/scans') cutting = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (cutting) {
          // The server has stored the batch and answered: the lane never hears it.
          this.cut++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      for (const s of [client, upstream]) {
        s.on('end', close);
        s.on('error', close);
        s.on('close', close);
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe('a lane listing two sync servers', () => {
  it('carries on with B when A dies (one data folder, one server at a time), and back to A when B dies', async () => {
    const data = join(dir, 'fleet');
    const a = new ServerUnderTest(data, await freePort(), ADMIN);
    const b = new ServerUnderTest(data, await freePort(), ADMIN);
    await a.start();
    let lane: Awaited<ReturnType<typeof openLane>> | null = null;
    try {
      await a.addCheckpoint('FO-1', 'open');
      lane = await openLane('two-servers', `${a.url},${b.url}`, await a.enrollmentCode('FO-1'));
      const { agent, kioskId, scan } = lane;
      scan(30);
      await until(() => agent.store.backlog().count === 0, 'the first scans to upload to A');
      expect(a.storedScans(kioskId).count).toBe(30);

      await a.stop('SIGKILL'); // no goodbye, maybe mid-request
      scan(30); // both down for now: kept on the lane
      await until(() => !agent.status().sync.online, 'the lane to see it is offline');
      expect(agent.store.backlog().count).toBeGreaterThan(0);
      await b.start();
      await until(() => agent.store.backlog().count === 0, 'the backlog to drain to B');
      scan(20);
      await until(() => agent.store.backlog().count === 0, 'new scans to upload to B');
      const onB = b.storedScans(kioskId);
      expect(onB.count).toBe(80);
      expect(onB.distinctIds).toBe(80);
      expect(onB.seqs).toEqual(range(80));

      // The event stream reconnected to B: a change made there arrives pushed (the safety-net
      // poll and the periodic heartbeat are 60 s here).
      const before = agent.store.listState('health').version;
      await until(async () => {
        const res = await b.admin<{ kiosks: { id: string; online: boolean }[] }>('GET', '/kiosks');
        return res.body.kiosks.find((k) => k.id === kioskId)?.online === true;
      }, 'the lane to show online on B');
      const put = await b.admin('PUT', '/lists/health/entries/079200000777', {
        status: 'F0',
        since: null,
        until: null,
      });
      expect(put.status).toBeLessThan(300);
      await until(() => agent.store.listState('health').version > before, 'the F0 pushed by B');
      expect(agent.submit('079200000777').decision).toBe('red');

      await b.stop('SIGKILL');
      await a.start(); // A again, at its URL, on the same data folder
      scan(20);
      await until(() => agent.store.backlog().count === 0, 'new scans to upload to A again');
      const onA = a.storedScans(kioskId);
      expect(onA.count).toBe(101); // 100 greens and the red
      expect(onA.distinctIds).toBe(101);
      expect(onA.seqs).toEqual(range(101));
    } finally {
      await lane?.agent.stop();
      await a.stop();
      await b.stop();
    }
  });
});

describe('a lane listing two addresses of one server (TCP proxies)', () => {
  let server: ServerUnderTest;
  let p1: Proxy;
  let p2: Proxy;
  beforeAll(async () => {
    server = new ServerUnderTest(join(dir, 'proxied'), await freePort(), ADMIN);
    await server.start();
    await server.addCheckpoint('FO-2', 'open');
  });
  afterAll(async () => {
    await p1.close();
    await p2.close();
    await server.stop();
  });

  it('sends an upload whose answer was lost to the next server, and the server stores it once', async () => {
    p1 = new Proxy(await freePort(), server.port);
    p2 = new Proxy(await freePort(), server.port);
    await p1.open();
    await p2.open();
    const lane = await openLane('lost-answer', `${p1.url},${p2.url}`, await server.enrollmentCode('FO-2'));
    try {
      const { agent, kioskId, scan } = lane;
      scan(10);
      await until(() => agent.store.backlog().count === 0, 'the first scans to upload through p1');
      expect(p2.count('POST /api/v1/kiosk/scans')).toBe(0);
      p1.cutUploads = true;
      scan(10);
      await until(() => agent.store.backlog().count === 0, 'the batch to be acknowledged through p2');
      expect(p1.cut).toBe(1);
      expect(p2.count('POST /api/v1/kiosk/scans')).toBeGreaterThanOrEqual(1);
      const stored = server.storedScans(kioskId);
      expect(stored.count).toBe(20);
      expect(stored.distinctIds).toBe(20);
      expect(stored.seqs).toEqual(range(20));
    } finally {
      await lane.agent.stop();
      await p1.close();
      await p2.close();
    }
  });

  it('goes back to the first listed server once it answers GET /health again', async () => {
    p1 = new Proxy(await freePort(), server.port);
    p2 = new Proxy(await freePort(), server.port);
    await p1.open();
    await p2.open();
    const lane = await openLane('rebalance', `${p1.url},${p2.url}`, await server.enrollmentCode('FO-2'), {
      servers: { preferFirstMs: 1500 },
    });
    try {
      const { agent, kioskId, scan } = lane;
      await p1.close(); // refused from now on; its open event stream is cut
      scan(5);
      await until(() => agent.store.backlog().count === 0, 'scans to upload through p2');
      expect(p2.count('POST /api/v1/kiosk/scans')).toBeGreaterThanOrEqual(1);
      await until(() => p2.count('GET /api/v1/kiosk/events') >= 1, 'the event stream to move to p2');

      await p1.open();
      const uploadsOnP1 = p1.count('POST /api/v1/kiosk/scans');
      // Scans keep the lane calling; within a period or so it probes p1 and moves back.
      await until(() => {
        scan(1);
        return p1.count('POST /api/v1/kiosk/scans') > uploadsOnP1;
      }, 'uploads to go through p1 again');
      expect(p1.count('GET /health')).toBeGreaterThanOrEqual(1);
      await until(() => agent.store.backlog().count === 0, 'the rest to upload');
      const stored = server.storedScans(kioskId);
      expect(stored.distinctIds).toBe(stored.count);
      expect(stored.seqs).toEqual(range(stored.count));
    } finally {
      await lane.agent.stop();
    }
  });
});

describe('checkpoint-lane --server URL1,URL2', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = new ServerUnderTest(join(dir, 'cli'), await freePort(), ADMIN);
    await server.start();
    await server.addCheckpoint('FO-3', 'open');
  });
  afterAll(async () => {
    await server.stop();
  });

  const run = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, [LANE_JS, ...INSECURE_KEY_STORE_ARGS, ...args], {
      input,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'warn', CHECKPOINT_DRAIN_MS: '10000' },
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('enrolls and uploads through the second server when the first does not answer', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const data = join(dir, 'cli-lane');
    const r = run(
      [
        ...['--server', ` ${dead} , ${server.url} ,`, '--enroll', await server.enrollmentCode('FO-3')],
        ...['--name', 'cli-lane', '--data', data, '--scanner', 'stdin', '--json'],
      ],
      '079200000001\n079200000002\n079200000003\n',
    );
    expect(r.stderr).not.toContain('scans still queued');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    const kiosks = await server.admin<{ kiosks: { id: string; name: string }[] }>('GET', '/kiosks');
    const id = kiosks.body.kiosks.find((k) => k.name === 'cli-lane')?.id;
    expect(id).toBeDefined();
    expect(server.storedScans(id ?? '')).toMatchObject({ count: 3, distinctIds: 3, seqs: [1, 2, 3] });
  });

  it('refuses a server listed twice or a bad entry, naming it', () => {
    const twice = run(['--server', `${server.url},${server.url}/`, '--data', join(dir, 'cli-bad')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`--server lists ${server.url}/ twice (as ${server.url})`);
    const bad = run(['--server', `${server.url},sync-b`, '--data', join(dir, 'cli-bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"sync-b" is not a URL');
  });
});

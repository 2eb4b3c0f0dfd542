// Fleet mode (issue 14): real `checkpoint-server --database postgres://…` processes on one fresh
// PostgreSQL database, a real lane CLI listing two of them, and a lane agent. A write on one
// server reaches a lane streaming from the other; a lane whose server dies mid-stream fails over
// and every scan lands once; /health answers 503 while a server is cut off from the database and
// 200 once it is back; a signing-key rotation on one server makes the other sign with the new key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insecureFileKeyStore, LaneAgent } from '@checkpoint-lane/kiosk';
// A test kit is not part of the server's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  createTestDatabase,
  pgUnavailable,
  type TestDatabase,
} from '../../sync-server/src/db/pg/pg-database.testkit.js';
import { fleetScans, LaneProcess, TcpProxy, until, type DecisionLine } from './fleet-helpers.js';
import { FAST_SYNC, freePort, range, ServerUnderTest } from './lane-helpers.js';
import { call, SseClient, type SseEvent } from './sync-server-helpers.js';

const ADMIN = 'admin-token-for-fleet-servers-0123456789';
const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const unavailable = await pgUnavailable();

/** A personal id of the test range (12 digits). */
const pid = (n: number): string => `07921${String(n).padStart(7, '0')}`;

/** The next event of that name on an SSE stream, or an error after `ms`. */
function nextEvent(stream: SseClient, name: string, ms = 10_000): Promise<SseEvent> {
  return Promise.race([
    stream.next(name),
    new Promise<never>((_resolve, reject) =>
      setTimeout(() => {
        reject(new Error(`no ${name} event within ${ms} ms`));
      }, ms),
    ),
  ]);
}

/** Waits (10 s at most) for a lane stream to announce a health version at or above `version`. */
async function reaches(stream: SseClient, version: number, what: string): Promise<void> {
  await until(
    async () => {
      for (const name of ['urgent', 'list-version']) {
        while (stream.received(name)) {
          const e = (await stream.next(name)).data as { list?: string; version?: number; toVersion?: number };
          if (e.list === 'health' && (e.toVersion ?? e.version ?? -1) >= version) return true;
        }
      }
      return false;
    },
    what,
    10_000,
  );
}

interface KioskView {
  id: string;
  name: string;
  online: boolean;
  listVersions: { health: number | null };
  backlog: number | null;
  lastHeartbeatAt: number | null;
  listRefusals?: unknown;
}

async function kioskOn(
  server: ServerUnderTest,
  by: (k: KioskView) => boolean,
): Promise<KioskView | undefined> {
  const res = await server.admin<{ kiosks: KioskView[] }>('GET', '/kiosks');
  return res.body.kiosks.find(by);
}

describe.skipIf(unavailable !== null)('sync servers on one PostgreSQL database (fleet mode)', () => {
  let dir: string;
  let db: TestDatabase;
  let pool: Awaited<ReturnType<TestDatabase['open']>>;
  let a: ServerUnderTest;
  let b: ServerUnderTest;
  let lane: LaneProcess | null = null;
  let laneKioskId = '';
  let viaA: TcpProxy | null = null;
  const extra: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-servers-'));
    db = await createTestDatabase();
    pool = await db.open({ applicationName: 'fleet-servers-test' });
    a = new ServerUnderTest(join(dir, 'a'), await freePort(), ADMIN, ['--database', db.url]);
    b = new ServerUnderTest(join(dir, 'b'), await freePort(), ADMIN, ['--database', db.url]);
    await a.start(); // migrates the empty database
    await b.start();
  }, 60_000);

  afterAll(async () => {
    await lane?.kill();
    for (const s of extra) await s.stop();
    await a.stop();
    await b.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('pushes an F0 imported on A to a lane streaming from B, which decides red; its alert reaches A', async () => {
    await a.addCheckpoint('FL-1', 'open');
    const code = await a.enrollmentCode('FL-1');
    // The lane reaches A through a proxy that notes its requests: what it does through A shows.
    viaA = new TcpProxy(await freePort(), a.port);
    await viaA.open();
    const proxyA = viaA;
    extra.push({ stop: () => proxyA.close() });
    lane = LaneProcess.start(`${b.url},${viaA.url}`, code, 'fleet-lane', join(dir, 'lane'));
    await lane.waitLog((l) => l.msg === 'event stream connected');
    expect((await lane.scan(pid(1))).decision).toBe('green');
    const kiosk = await kioskOn(b, (k) => k.name === 'fleet-lane');
    expect(kiosk).toBeDefined();
    laneKioskId = kiosk?.id ?? '';

    const admin = await SseClient.open(`${a.url}/api/v1/admin/events`, ADMIN);
    try {
      await nextEvent(admin, 'hello');
      const F0 = pid(9999);
      const asked = Date.now();
      // A second F0 for the failover test: a subject scanned again soon is a repeat, not recorded.
      await a.importCsv(
        'health',
        `id,status,since,until,name,note\n${F0},F0,2026-01-01,,X,\n${pid(9998)},F0,2026-01-01,,Y,\n`,
      );
      const answered = Date.now();
      const applied = await lane.waitLog(
        (l) =>
          l.msg === 'urgent health changes applied' ||
          (l.msg === 'delta applied' && l.fields['list'] === 'health'),
        asked,
        10_000,
      );
      const red = await lane.scan(F0);
      const decided = Date.now();
      console.log(
        `fleet push: A's import answered in ${answered - asked} ms; the lane streaming from B applied it ` +
          `(${applied.msg}) ${applied.readAt - answered} ms after the answer and decided red ` +
          `${decided - answered} ms after it`,
      );
      expect(red.decision).toBe('red');
      expect(red.alert).toBe(true);
      expect(decided - answered).toBeLessThan(5_000);

      // The red scan uploads through B (the lane's first server); its alert reaches A's console.
      const alert = await nextEvent(admin, 'alert', 15_000);
      expect(alert.data).toMatchObject({ kioskId: laneKioskId, checkpointId: 'FL-1' });
      // Nothing of the lane went through A: the push and the alert crossed over the database.
      expect(viaA.seen).toEqual([]);
    } finally {
      admin.close();
    }
  }, 60_000);

  it('fails over to A when B is killed mid-stream: every scan lands once, the outbox drains, alerts cross back to B', async () => {
    if (lane === null || viaA === null) throw new Error('the lane of the first test did not start');
    const proxyA = viaA;
    const N = 60;
    const decisions: DecisionLine[] = [];
    for (let i = 1; i <= N; i++) {
      decisions.push(await lane.scan(pid(100 + i)));
      if (i === 25) await b.stop('SIGKILL'); // no goodbye, uploads or the event stream mid-flight
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(decisions.every((d) => d.decision === 'green')).toBe(true);
    const lanes = lane;
    await until(
      async () =>
        (await fleetScans(pool, laneKioskId)).count >= lanes.decisions.filter((d) => d.recorded).length,
      'the scans to upload to A',
      30_000,
    );

    expect(proxyA.count('POST /api/v1/kiosk/scans')).toBeGreaterThanOrEqual(1);
    await until(() => proxyA.count('GET /api/v1/kiosk/events') >= 1, "the lane's event stream to move to A");

    // B again (same address); an alert raised by an upload through A reaches B's console.
    await b.start();
    const admin = await SseClient.open(`${b.url}/api/v1/admin/events`, ADMIN);
    try {
      await nextEvent(admin, 'hello');
      const uploadsViaA = proxyA.count('POST /api/v1/kiosk/scans');
      const red = await lane.scan(pid(9998));
      expect(red.decision).toBe('red');
      await until(
        () => proxyA.count('POST /api/v1/kiosk/scans') > uploadsViaA,
        'the red scan to upload through A',
      );
      const alert = await nextEvent(admin, 'alert', 15_000);
      expect(alert.data).toMatchObject({ kioskId: laneKioskId, checkpointId: 'FL-1' });
    } finally {
      admin.close();
    }

    const code = await lane.end(); // end of input: the lane drains its outbox, then exits
    expect(code).toBe(0);
    expect(lane.stderr.join('\n')).not.toContain('scans still queued');
    const recorded = lane.decisions.filter((d) => d.recorded).length;
    const stored = await fleetScans(pool, laneKioskId);
    console.log(`fleet failover: ${recorded} scans recorded by the lane, ${stored.count} rows in PostgreSQL`);
    expect(stored.count).toBe(recorded);
    expect(stored.distinctSeqs).toBe(recorded);
    expect(stored.seqs).toEqual(range(recorded));
    lane = null;
  }, 120_000);

  it('answers 503 on /health while a server is cut off from PostgreSQL, and 200 once it is back', async () => {
    const { rows } = await pool.query<{ application_name: string }>(
      'SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = $1',
      [db.name],
    );
    // The pool (open-pg.ts) and the listening connection (pg-fleet-bus.ts) of A and B.
    expect(rows.map((r) => r.application_name)).toEqual(
      expect.arrayContaining(['checkpoint-server', 'checkpoint-server-fleet-bus']),
    );

    const pgPort = Number(new URL(db.url).port || '5432');
    const proxy = new TcpProxy(await freePort(), pgPort);
    await proxy.open();
    extra.push({ stop: () => proxy.close() });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const c = new ServerUnderTest(join(dir, 'c'), await freePort(), ADMIN, [
      '--database',
      viaProxy.toString(),
    ]);
    await c.start();
    extra.push(c);
    const health = async (server: ServerUnderTest) => {
      const res = await fetch(`${server.url}/health`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await health(c)).status).toBe(200);
    // A lane streaming from C.
    const onC = await call<{ token: string }>(`${c.url}/api/v1/kiosk/enroll`, {
      body: { code: await a.enrollmentCode('FL-1'), name: 'probe-c' },
    });
    expect(onC.status).toBe(201);
    const streamC = await SseClient.open(`${c.url}/api/v1/kiosk/events`, onC.body.token);
    extra.push({
      stop: () => {
        streamC.close();
        return Promise.resolve();
      },
    });
    await nextEvent(streamC, 'hello');

    await proxy.close(); // every connection of C cut, new ones refused
    await until(async () => {
      const h = await health(c);
      return h.status === 503 && h.body['database'] === 'unreachable' && h.body['events'] === 'disconnected';
    }, 'C to answer 503 with the database and the bus down');
    expect((await health(a)).status).toBe(200); // the rest of the fleet carries on
    // An admin call on C fails cleanly (no hang, no crash) while it is cut off.
    const list = await c.admin('GET', '/checkpoints');
    expect(list.status).toBeGreaterThanOrEqual(500);
    expect(c.child?.exitCode).toBeNull();

    // Written while C hears nothing: a health entry on A, a signing-key rotation on B.
    const missed = await a.admin<{ version: number }>('PUT', `/lists/health/entries/${pid(300)}`, {
      status: 'F0',
      since: null,
      until: null,
    });
    expect(missed.status).toBe(200);
    const rotated = await b.admin<{ current: string }>('POST', '/lists/signing-keys/rotate', {});
    expect(rotated.status).toBe(200);

    const cutAt = Date.now();
    await proxy.open();
    await until(async () => (await health(c)).status === 200, 'C to answer 200 again', 30_000);
    console.log(`fleet health: C answered 200 again ${Date.now() - cutAt} ms after PostgreSQL was reachable`);
    expect((await c.admin('GET', '/checkpoints')).status).toBe(200);
    // Its bus reconnected and re-read what it missed: the version goes to its lane, the keys to its signer.
    await reaches(streamC, missed.body.version, 'the version written while C was cut off to reach its lane');
    await until(
      async () =>
        (await c.admin<{ current: string }>('GET', '/lists/signing-keys')).body.current ===
        rotated.body.current,
      'C to read the keys rotated while it was cut off',
      10_000,
    );
    streamC.close();

    // Every server connection of the fleet terminated at once (as a database restart does): the
    // pools and the buses reconnect by themselves, and a write on A reaches a lane streaming from B.
    const probe = await call<{ token: string }>(`${b.url}/api/v1/kiosk/enroll`, {
      body: { code: await a.enrollmentCode('FL-1'), name: 'probe-3' },
    });
    expect(probe.status).toBe(201);
    const stream = await SseClient.open(`${b.url}/api/v1/kiosk/events`, probe.body.token);
    try {
      await nextEvent(stream, 'hello');
      const killed = await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND application_name IN ('checkpoint-server', 'checkpoint-server-fleet-bus')`,
        [db.name],
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(6); // A, B and C: a pooled connection and a listener each
      for (const server of [a, b, c]) {
        await until(async () => (await health(server)).status === 200, `${server.url} to answer 200 again`);
      }
      const put = await a.admin<{ version: number }>('PUT', `/lists/health/entries/${pid(301)}`, {
        status: 'F0',
        since: null,
        until: null,
      });
      expect(put.status).toBe(200);
      await reaches(stream, put.body.version, "A's write to reach B's lane stream after the reconnect");
    } finally {
      stream.close();
    }
  }, 90_000);

  it('lets a lane on A keep accepting signed changes after B rotates the signing key (A signs with the new one)', async () => {
    await a.addCheckpoint('FL-4', 'open');
    const agent = await LaneAgent.open({
      dataDir: join(dir, 'lane-4'),
      keyStore: insecureFileKeyStore(join(dir, 'lane-4')),
      serverUrl: a.url,
      enrollCode: await a.enrollmentCode('FL-4'),
      laneName: 'fleet-lane-4',
      scanners: [],
      logger,
      sync: { ...FAST_SYNC, heartbeatMs: 500 },
    });
    extra.push({ stop: () => agent.stop() });
    const kioskId = agent.credentials?.kioskId ?? '';
    await agent.start(10_000);
    // A second kiosk, enrolled by hand, reads A's signed answers as a lane would.
    const probe = await call<{ token: string; listKeyId?: number }>(`${a.url}/api/v1/kiosk/enroll`, {
      body: { code: await a.enrollmentCode('FL-4'), name: 'probe' },
    });
    expect(probe.status).toBe(201);

    const put = async (server: ServerUnderTest, id: string): Promise<number> => {
      const res = await server.admin<{ version: number }>('PUT', `/lists/health/entries/${id}`, {
        status: 'F0',
        since: null,
        until: null,
      });
      expect(res.status).toBe(200);
      return res.body.version;
    };
    const v1 = await put(a, pid(401));
    await until(
      () => agent.store.listState('health').version >= v1,
      'the first write on A to reach the lane',
    );
    expect(agent.submit(pid(401)).decision).toBe('red');

    const before = await a.admin<{ current: string }>('GET', '/lists/signing-keys');
    const rotated = await b.admin<{ current: string; keys: { id: string }[] }>(
      'POST',
      '/lists/signing-keys/rotate',
      {},
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.current).not.toBe(before.body.current);
    await until(
      async () =>
        (await a.admin<{ current: string }>('GET', '/lists/signing-keys')).body.current ===
        rotated.body.current,
      'A to read the rotated keys',
    );

    const v2 = await put(a, pid(402));
    await until(
      () => agent.store.listState('health').version >= v2,
      'the write after the rotation to reach the lane',
    );
    expect(agent.submit(pid(402)).decision).toBe('red');
    const changes = await call<{ signature?: string; toVersion: number }>(
      `${a.url}/api/v1/kiosk/lists/health/changes?since=${v1}&keyId=${probe.body.listKeyId ?? 0}`,
      { token: probe.body.token },
    );
    expect(changes.status).toBe(200);
    expect(changes.body.toVersion).toBe(v2);
    expect(changes.body.signature?.split(':')[0]).toBe(rotated.body.current);

    // The lane reports no refused list data in the heartbeats after the change.
    const after = Date.now();
    await until(async () => {
      const k = await kioskOn(a, (x) => x.id === kioskId);
      return (
        k !== undefined && (k.lastHeartbeatAt ?? 0) > after && k.listVersions.health === v2 && k.backlog === 0
      );
    }, 'a heartbeat reporting the new version and an empty outbox');
    const view = await kioskOn(a, (x) => x.id === kioskId);
    expect(view?.listRefusals).toBeUndefined();
    expect(view?.backlog).toBe(0);
  }, 90_000);
});

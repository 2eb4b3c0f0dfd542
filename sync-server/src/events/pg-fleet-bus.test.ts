// The fleet bus on a real PostgreSQL (LISTEN/NOTIFY): two buses on one fresh database act as two
// servers; then two event hubs over them, each with its own lane and admin streams.
import { createHmac, randomBytes } from 'node:crypto';
import type { AlertRecord, HealthStatus } from '@checkpoint-lane/shared';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PG_URL, pgUnavailable, useTestDatabase } from '../db/pg/pg-database.testkit.js';
import type { PgPool } from '../db/pg/open-pg.js';
import { runPgMigrations } from '../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../db/pg/pg-migrations.js';
import { EventHub, urgentHealthChange } from './event-hub.js';
import {
  FLEET_MESSAGE_MAX_BYTES,
  encodeFleetMessage,
  newFleetKey,
  type FleetBusEvent,
  type FleetBusState,
} from './fleet-bus.js';
import { FleetMonitor } from './fleet-monitor.js';
import { FLEET_CHANNEL, PgFleetBus } from './pg-fleet-bus.js';
import type { SseStream } from './sse.js';

const skip = await pgUnavailable();

/** The fleet key of the servers in these tests. */
const KEY = newFleetKey();

/** Waits until `what` holds, polling every 5 ms; fails after `ms`. */
async function until(what: () => boolean, ms = 5_000, label = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A stream that records what it is sent. */
function recorder(): SseStream & { events: { event: string; data: unknown }[]; closed: boolean } {
  const s = {
    events: [] as { event: string; data: unknown }[],
    closed: false,
    send(event: string, data: unknown) {
      s.events.push({ event, data });
    },
    comment() {
      return undefined;
    },
    close() {
      s.closed = true;
    },
  };
  return s;
}

describe.skipIf(skip !== null)('PgFleetBus on PostgreSQL', () => {
  const db = useTestDatabase();
  const buses: PgFleetBus[] = [];
  const hubs: EventHub[] = [];
  const monitors: FleetMonitor[] = [];

  afterEach(async () => {
    for (const m of monitors.splice(0)) m.stop();
    for (const h of hubs.splice(0)) h.detach();
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  async function bus(
    pool: PgPool,
    options: {
      reconnectMinMs?: number;
      onState?: FleetBusState[];
      probeMs?: number;
      wrap?: typeof pool.query;
    } = {},
  ) {
    const b = new PgFleetBus({
      url: db().url,
      pool: options.wrap ? { query: options.wrap } : pool,
      key: KEY,
      ...(options.probeMs !== undefined && { probeMs: options.probeMs }),
      reconnectMinMs: options.reconnectMinMs ?? 50,
      reconnectMaxMs: 500,
      ...(options.onState && { onStateChange: (s: FleetBusState) => options.onState?.push(s) }),
    });
    buses.push(b);
    await b.start();
    return b;
  }

  it('carries a message from one server to the other within a second, never back to its sender', async () => {
    const pool = await db().open();
    const a = await bus(pool);
    const b = await bus(pool);
    expect(a.serverId).not.toBe(b.serverId);
    expect(a.state().connected).toBe(true);
    const gotA: FleetBusEvent[] = [];
    const gotB: FleetBusEvent[] = [];
    a.subscribe((e) => gotA.push(e));
    b.subscribe((e) => gotB.push(e));
    const sentAt = Date.now();
    await a.publish({ type: 'list-version', list: 'health', version: 8, fromVersion: 7 });
    await until(() => gotB.length === 1, 1_000, 'delivery to b');
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(gotB[0]).toEqual({
      type: 'list-version',
      list: 'health',
      version: 8,
      fromVersion: 7,
      origin: a.serverId,
    });
    // a's own message came back on a's connection too (NOTIFY goes to every listener): skipped.
    await b.publish({ type: 'server-alive' });
    await until(() => gotA.length === 1, 1_000, 'delivery to a');
    expect(gotA).toEqual([{ type: 'server-alive', origin: b.serverId }]);
    expect(gotB).toHaveLength(1);
    expect(a.stats()).toMatchObject({ published: 1, received: 1, dropped: 0 });
  });

  it('sends a payload of FLEET_MESSAGE_MAX_BYTES (PostgreSQL takes it, not one byte more); refuses more', async () => {
    const pool = await db().open();
    // The limit is PostgreSQL's own: it refuses one byte more.
    await pool.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, 'x'.repeat(FLEET_MESSAGE_MAX_BYTES)]);
    await expect(
      pool.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, 'x'.repeat(FLEET_MESSAGE_MAX_BYTES + 1)]),
    ).rejects.toThrow(/payload string too long/);
    const a = await bus(pool);
    const b = await bus(pool);
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    const lane = (kioskId: string) =>
      ({ type: 'lane', laneId: 'l', event: { type: 'revoked', data: { kioskId } } }) as const;
    const overhead = encodeFleetMessage(lane(''), a.serverId, KEY, Date.now()).length;
    await a.publish(lane('x'.repeat(FLEET_MESSAGE_MAX_BYTES - overhead)));
    await until(() => got.length === 1, 1_000, 'the largest message');
    await expect(a.publish(lane('x'.repeat(FLEET_MESSAGE_MAX_BYTES - overhead + 1)))).rejects.toThrow(
      /fleet message 'lane' is 8000 bytes: over the 7999-byte NOTIFY limit/,
    );
    expect(a.stats().published).toBe(1);
  });

  it('one message PostgreSQL refuses in a batch fails alone; the others of the batch are sent', async () => {
    const pool = await db().open();
    // Through the real pool, the message of lane `poison` is made too long for PostgreSQL.
    const wrap = ((text: string, values?: unknown[]) =>
      pool.query(
        text,
        values?.map((v) => {
          const poison = (p: unknown) =>
            typeof p === 'string' && p.includes('"poison"') ? 'x'.repeat(8_000) : p;
          return Array.isArray(v) ? v.map(poison) : poison(v);
        }),
      )) as typeof pool.query;
    const a = await bus(pool, { wrap });
    const b = await bus(pool);
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    const first = a.publish({ type: 'officers', version: 1 });
    // These queue while the first is in flight: one statement.
    const poisoned = a.publish({ type: 'lane-close', laneId: 'poison' });
    const rest = [2, 3, 4].map((version) => a.publish({ type: 'officers', version }));
    await expect(poisoned).rejects.toThrow(/payload string too long/);
    await Promise.all([first, ...rest]);
    await until(() => got.length === 4, 1_000, 'the four good messages');
    expect(got.map((e) => (e as { version?: number }).version)).toEqual([1, 2, 3, 4]);
    expect(a.stats().published).toBe(4);
  });

  it('drops and counts a NOTIFY from a role without privileges, and a message with a wrong MAC', async () => {
    const pool = await db().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    const a = await bus(pool);
    const b = await bus(pool);
    const hubB = new EventHub(() => Promise.resolve([]), undefined, Date.now, {
      bus: b,
      readLaneRevoked: () => Promise.resolve(false),
    });
    hubs.push(hubB);
    const lane = recorder();
    hubB.addLane('lane-1', 'CP', lane);
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    const role = `rv_nobody_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const url = new URL(db().url);
      url.username = role;
      url.password = '';
      const nobody = new pg.Client({ connectionString: url.toString() });
      await nobody.connect();
      try {
        // The role reads no table (the settings, where the fleet key is, included)…
        await expect(nobody.query('SELECT count(*) FROM settings')).rejects.toThrow(/permission denied/);
        // …yet may NOTIFY: what it sends is dropped.
        const json = (m: object) => JSON.stringify({ ...m, origin: 'evil', at: Date.now() });
        const revoked = {
          type: 'lane',
          laneId: 'lane-1',
          event: { type: 'revoked', data: { kioskId: 'lane-1' } },
        };
        const forged = [
          json(revoked),
          json({ type: 'lane-close', laneId: 'lane-1' }),
          json({ type: 'list-version', list: 'health', version: 999_999_999, fromVersion: 0 }),
          // Looks authenticated: a MAC of the right shape, not under the fleet key.
          `v1:${randomBytes(32).toString('hex')}:${json(revoked)}`,
          encodeFleetMessage({ type: 'lane-close', laneId: 'lane-1' }, 'evil', newFleetKey(), Date.now()),
        ];
        for (const payload of forged)
          await nobody.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, payload]);
      } finally {
        await nobody.end();
      }
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
    await a.publish({ type: 'officers', version: 0 });
    await until(() => got.length === 1, 1_000, 'the authenticated message');
    await hubB.settled();
    expect(got).toEqual([{ type: 'officers', version: 0, origin: a.serverId }]);
    expect(b.stats()).toMatchObject({ unauthenticated: 5, dropped: 0, received: 1 });
    expect(lane.closed).toBe(false);
    expect(lane.events).toEqual([{ event: 'officers', data: { version: 0 } }]);
  });

  it('a listener that no longer receives (no echo of its own probe) counts as cut and is replaced', async () => {
    const pool = await db().open();
    const states: FleetBusState[] = [];
    const a = await bus(pool);
    const b = await bus(pool, { probeMs: 100, onState: states });
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    // Its probes come back and are not delivered.
    await new Promise((r) => setTimeout(r, 450));
    expect(b.state().connected).toBe(true);
    expect(got).toEqual([]);
    const pid = b.listenerPid();
    const deafAt = Date.now();
    await b.deafenForTest();
    await until(() => !b.state().connected, 2_000, 'the cut seen');
    expect(Date.now() - deafAt).toBeLessThan(1_000);
    expect(b.state().lastError).toMatch(/no longer hears/);
    await until(() => b.state().connected, 5_000, 'the reconnect');
    expect(b.listenerPid()).not.toBe(pid);
    expect(got).toEqual([{ type: 'resync' }]);
    await a.publish({ type: 'officers', version: 3 });
    await until(() => got.length === 2, 1_000, 'delivery after the reconnect');
    expect(states.map((s) => s.connected)).toEqual([true, false, true]);
  });

  it('drops and counts a malformed NOTIFY payload, and keeps delivering', async () => {
    const pool = await db().open();
    const a = await bus(pool);
    const got: FleetBusEvent[] = [];
    a.subscribe((e) => got.push(e));
    // Authenticated with the fleet key: what is not a fleet message, or too old, is dropped.
    const sign = (json: string) => `v1:${createHmac('sha256', KEY).update(json).digest('hex')}:${json}`;
    await pool.query(`NOTIFY ${FLEET_CHANNEL}, 'garbage'`);
    await pool.query(`SELECT pg_notify($1, $2)`, [
      FLEET_CHANNEL,
      sign(JSON.stringify({ type: 'officers', origin: 'x', at: Date.now() })),
    ]);
    await pool.query(`SELECT pg_notify($1, $2)`, [
      FLEET_CHANNEL,
      sign(JSON.stringify({ type: 'officers', version: 4, origin: 'other', at: Date.now() - 600_000 })),
    ]);
    await pool.query(`SELECT pg_notify($1, $2)`, [
      FLEET_CHANNEL,
      sign(JSON.stringify({ type: 'officers', version: 4, origin: 'other', at: Date.now() })),
    ]);
    await until(() => got.length === 1, 1_000, 'the valid message');
    expect(a.stats()).toMatchObject({ dropped: 2, unauthenticated: 1 });
    expect(got).toEqual([{ type: 'officers', version: 4, origin: 'other' }]);
  });

  it('notifyIn inside a transaction is delivered at commit, never on rollback', async () => {
    const pool = await db().open();
    const a = await bus(pool);
    const b = await bus(pool);
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await a.notifyIn(client, { type: 'officers', version: 1 });
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await a.notifyIn(client, { type: 'officers', version: 2 });
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await until(() => got.length === 1, 1_000, 'the committed message');
    expect(got).toEqual([{ type: 'officers', version: 2, origin: a.serverId }]);
  });

  it('reconnects by itself after its connection is killed, says resync, and delivers again', async () => {
    const pool = await db().open();
    const states: FleetBusState[] = [];
    const a = await bus(pool, { onState: states });
    const b = await bus(pool);
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    const pid = b.listenerPid();
    expect(pid).toEqual(expect.any(Number));
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => !b.state().connected, 2_000, 'the bus to see it is cut off');
    expect(b.state().lastError).toEqual(expect.any(String));
    await until(() => b.state().connected, 5_000, 'the reconnect');
    expect(b.listenerPid()).not.toBe(pid);
    expect(got).toEqual([{ type: 'resync' }]);
    await a.publish({ type: 'officers', version: 9 });
    await until(() => got.length === 2, 1_000, 'delivery after the reconnect');
    expect(got[1]).toEqual({ type: 'officers', version: 9, origin: a.serverId });
    // a's listener was untouched: one state change (connected at start).
    expect(states.map((s) => s.connected)).toEqual([true]);
  });

  it('keeps trying while the database refuses it, then comes back', async () => {
    const pool = await db().open();
    const b = await bus(pool, { reconnectMinMs: 20 });
    const got: FleetBusEvent[] = [];
    b.subscribe((e) => got.push(e));
    // Refuse new connections to the test database for a while (from the maintenance database:
    // a database cannot refuse connections to itself), then kill the listener.
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${db().name} ALLOW_CONNECTIONS false`);
      await pool.query('SELECT pg_terminate_backend($1)', [b.listenerPid()]);
      await until(() => !b.state().connected, 2_000, 'cut off');
      // Several tries fail meanwhile (20 ms doubling, capped at 500 ms).
      await new Promise((r) => setTimeout(r, 600));
      expect(b.state().connected).toBe(false);
      expect(b.state().lastError).toMatch(/not currently accepting connections/);
    } finally {
      await admin.query(`ALTER DATABASE ${db().name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await until(() => b.state().connected, 5_000, 'the reconnect');
    expect(got).toEqual([{ type: 'resync' }]);
  });

  describe('two event hubs', () => {
    async function hub(pool: PgPool, fleet: ConstructorParameters<typeof EventHub>[3] = {}) {
      const b = await bus(pool);
      const blocking = (): Promise<readonly HealthStatus[]> => Promise.resolve(['F0']);
      const h = new EventHub(blocking, undefined, Date.now, { bus: b, ...fleet });
      hubs.push(h);
      return h;
    }

    it('a lane on server B gets a list version (and its urgent changes) published on server A', async () => {
      const pool = await db().open();
      const reads: [string, number, number][] = [];
      const a = await hub(pool);
      const b = await hub(pool, {
        readUrgent: (list, from, to) => {
          reads.push([list, from, to]);
          return Promise.resolve([
            urgentHealthChange('00', 'SUBJECT', { status: 'F0', since: null, until: null }),
          ]);
        },
      });
      const lane = recorder();
      const key = { id: 3, scope: 's', key: Buffer.alloc(32, 7) };
      b.addLane('lane-1', 'CP', lane, () => Promise.resolve(key));
      const admin = recorder();
      b.addAdmin(admin);
      await a.publishListVersion('whitelist', 5, 4);
      await until(() => lane.events.length === 1, 1_000, 'the whitelist version on b');
      expect(lane.events).toEqual([{ event: 'list-version', data: { list: 'whitelist', version: 5 } }]);
      expect(reads).toEqual([]);
      await a.publishListVersion('health', 9, 8, []);
      await until(() => lane.events.length === 3, 1_000, 'the health push on b');
      expect(reads).toEqual([['health', 8, 9]]);
      expect(lane.events[1]).toMatchObject({
        event: 'urgent',
        data: { list: 'health', fromVersion: 8, toVersion: 9, keyId: 3, changes: [{ op: 'put' }] },
      });
      // Keyed with the lane's list key, not the server's index key.
      expect((lane.events[1]?.data as { changes: { key: string }[] }).changes[0]?.key).toMatch(
        /^[0-9a-f]{16}$/,
      );
      expect(lane.events[2]).toEqual({ event: 'list-version', data: { list: 'health', version: 9 } });
      expect(admin.events.map((e) => e.event)).toEqual(['list-version', 'list-version']);
    });

    it('without readUrgent a server sends the version alone', async () => {
      const pool = await db().open();
      const a = await hub(pool);
      const b = await hub(pool);
      const lane = recorder();
      b.addLane('lane-1', 'CP', lane, () => Promise.resolve({ id: 1, scope: 's', key: Buffer.alloc(32) }));
      await a.publishListVersion('health', 2, 1, [
        urgentHealthChange('00', 'SUBJECT', { status: 'F0', since: null, until: null }),
      ]);
      await until(() => lane.events.length === 1, 1_000, 'the version on b');
      await b.settled();
      expect(lane.events).toEqual([{ event: 'list-version', data: { list: 'health', version: 2 } }]);
    });

    it('alerts reach the other console by id (read there), lane events and closes reach the lane', async () => {
      const pool = await db().open();
      const alert = {
        id: 41,
        kind: 'health',
        at: 1,
        receivedAt: 2,
        kioskId: 'lane-1',
        kioskName: 'Lane 1',
        checkpointId: 'CP',
        scanId: 'scan',
        subjectKey: null,
        subjectMasked: '****1234',
        status: 'F0',
        raisedBy: 'lane',
        ackedAt: 77,
        ackedBy: 'supervisor',
        record: null,
        issues: [],
        outcome: null,
      } as unknown as AlertRecord;
      const a = await hub(pool);
      const b = await hub(pool, {
        readAlert: (id) => Promise.resolve(id === 41 ? alert : null),
        readLaneRevoked: (id) => Promise.resolve(id === 'lane-1'),
      });
      const admin = recorder();
      b.addAdmin(admin);
      const lane = recorder();
      b.addLane('lane-1', 'CP', lane);
      a.publishAdmin('alert', alert);
      a.publishAdmin('alert-ack', { id: 41, ackedAt: 77, ackedBy: 'supervisor' });
      a.publishAdmin('kiosk-status', { kioskId: 'lane-1', online: true, at: 1 });
      a.publishLane('lane-1', { type: 'revoked', data: { kioskId: 'lane-1' } });
      a.publishLane('lane-2', { type: 'revoked', data: { kioskId: 'lane-2' } });
      a.publishOfficers(6);
      // A lane's gate report (issue 17) travels whole: it holds no personal data.
      const gate = {
        kioskId: 'lane-1',
        checkpointId: 'CP',
        at: 1_700_000_000_000,
        gate: {
          unattended: true,
          relay: 'serial:/dev/ttyUSB0',
          state: 'fault' as const,
          faults: ['relay_lost' as const],
          counts: {
            opens: 1,
            shuts: 2,
            reds: 3,
            ambers: 0,
            repeats: 0,
            faults: 1,
            writeFailures: 0,
            unlocks: 0,
          },
        },
      };
      a.publishAdmin('gate', gate);
      a.closeLane('lane-1');
      await until(() => lane.closed, 1_000, 'the lane closed on b');
      await until(() => admin.events.some((e) => e.event === 'gate'), 2_000, 'the gate report on b');
      await b.settled();
      expect(admin.events).toEqual([
        { event: 'alert', data: alert },
        { event: 'alert-ack', data: { id: 41, ackedAt: 77, ackedBy: 'supervisor' } },
        { event: 'officers', data: { version: 6 } },
        { event: 'gate', data: gate },
      ]);
      expect(lane.events).toEqual([
        { event: 'revoked', data: { kioskId: 'lane-1' } },
        { event: 'officers', data: { version: 6 } },
      ]);
    });

    it('a lane streaming to B shows online on A, and offline one grace after its stream closed', async () => {
      const pool = await db().open();
      const a = await hub(pool);
      const b = await hub(pool);
      const statusOnA = recorder();
      a.addAdmin(statusOnA);
      const fleetA = new FleetMonitor(a, Date.now, 180_000, 300);
      monitors.push(fleetA);
      const remove = b.addLane('lane-1', 'CP', recorder());
      await until(() => fleetA.isOnline('lane-1'), 1_000, 'online on a');
      expect(a.connectedLanes()).toEqual(new Set(['lane-1']));
      remove();
      await until(() => !a.isConnected('lane-1'), 1_000, 'the close seen on a');
      expect(fleetA.isOnline('lane-1')).toBe(true); // within the grace
      await until(() => !fleetA.isOnline('lane-1'), 2_000, 'offline on a');
      expect(statusOnA.events.map((e) => (e.data as { online: boolean }).online)).toEqual([true, false]);
    });

    it('a server started later learns the lanes already connected elsewhere (presence-request)', async () => {
      const pool = await db().open();
      const b = await hub(pool);
      b.addLane('lane-1', 'CP', recorder());
      b.addLane('lane-2', 'CP', recorder());
      const a = await hub(pool);
      const fleetA = new FleetMonitor(a, Date.now, 180_000, 300);
      monitors.push(fleetA);
      fleetA.start(60_000);
      await until(() => fleetA.isOnline('lane-1') && fleetA.isOnline('lane-2'), 1_000, 'both online on a');
    });

    it('drops the lanes of a server that went silent', async () => {
      const pool = await db().open();
      let now = 1_000_000;
      const clock = (): number => now;
      const b = await hub(pool);
      const busA = await bus(pool);
      const a = new EventHub(() => Promise.resolve([]), undefined, clock, {
        bus: busA,
        serverSilentMs: 30_000,
      });
      hubs.push(a);
      const fleetA = new FleetMonitor(a, clock, 180_000, 45_000);
      monitors.push(fleetA);
      b.addLane('lane-1', 'CP', recorder());
      await until(() => fleetA.isOnline('lane-1'), 1_000, 'online on a');
      // b says nothing more (as if killed): a drops it at a beat after 30 s, then the grace runs.
      now += 29_000;
      a.beat();
      fleetA.sweep();
      expect(fleetA.isOnline('lane-1')).toBe(true);
      now += 2_000;
      a.beat();
      fleetA.sweep();
      expect(a.isConnected('lane-1')).toBe(false);
      expect(fleetA.isOnline('lane-1')).toBe(true);
      now += 46_000;
      fleetA.sweep();
      expect(fleetA.isOnline('lane-1')).toBe(false);
    });

    it('after its bus reconnects, a hub re-sends current versions and re-learns presence', async () => {
      const pool = await db().open();
      const b = await hub(pool, { announceMinMs: 0 });
      b.addLane('lane-1', 'CP', recorder());
      const busA = await bus(pool);
      const a = new EventHub(() => Promise.resolve([]), undefined, Date.now, {
        bus: busA,
        readCurrent: () =>
          Promise.resolve({
            lists: [
              { list: 'health', version: 12 },
              { list: 'whitelist', version: 3 },
            ],
            officers: 2,
          }),
      });
      hubs.push(a);
      a.requestPresence();
      await until(() => a.isConnected('lane-1'), 1_000, 'presence on a');
      const laneOnA = recorder();
      a.addLane('lane-9', 'CP', laneOnA);
      await pool.query('SELECT pg_terminate_backend($1)', [busA.listenerPid()]);
      await until(() => laneOnA.events.length === 3, 5_000, 'the re-sent versions');
      expect(laneOnA.events).toEqual([
        { event: 'list-version', data: { list: 'health', version: 12 } },
        { event: 'list-version', data: { list: 'whitelist', version: 3 } },
        { event: 'officers', data: { version: 2 } },
      ]);
      await until(() => a.isConnected('lane-1'), 1_000, 'presence re-learnt on a');
      // b learnt a's lane from a's announcement after the reconnect.
      await until(() => b.isConnected('lane-9'), 1_000, 'a lane of a seen on b');
    });
  });
});

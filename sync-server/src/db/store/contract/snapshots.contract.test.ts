// SnapshotsStore on both engines: what a lane gets (keys, classes, scope), the same bytes on
// SQLite and PostgreSQL for the same list writes, and on PostgreSQL the fleet's shared cache: one
// build for two servers asked at once, a second server serving what the first built, old versions
// and retired keys pruned once no longer current for a while, a read cut short failing, bounded
// builds, reads from any offset across chunk edges.
import { decodeSnapshot, type ListName } from '@checkpoint-lane/shared';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListKey } from '../../../lists/list-keys.js';
import {
  readHealthRecord,
  readWhitelistRecord,
  type HealthRow,
  type WhitelistRow,
} from '../../../lists/list-rows.js';
import { laneSubjectKey } from '../../../lists/rekey.js';
import { snapshotBody, SnapshotGoneError, type BuiltSnapshot } from '../../../lists/snapshot-build.js';
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { pgUnavailable } from '../../pg/pg-database.testkit.js';
import { PgListWriterStore } from '../../pg/stores/pg-list-writer.js';
import {
  PgSnapshotStore,
  SnapshotBusyError,
  snapshotLockKey,
  type PgSnapshotDeps,
} from '../../pg/stores/pg-snapshots.js';
import { describeEngines, openEngine, type EngineDb } from '../engines.testkit.js';
import { openSqliteStore } from '../sqlite-store.js';
import type { ListWriterStore, SnapshotsStore } from '../store.js';

const INDEX_KEY = Buffer.alloc(32, 7);
const FLEET: ListKey = { id: 1, scope: 'fleet', key: Buffer.alloc(32, 1) };
const HCM: ListKey = { id: 2, scope: 'HCM', key: Buffer.alloc(32, 2) };
const HCM_NEXT: ListKey = { id: 3, scope: 'HCM', key: Buffer.alloc(32, 3) };

const ascending = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);

/**
 * `n` health rows (IDs 0010990xxxxx from `from`): F0 and F1 taking turns, so the two classes are
 * used equally often and their order in the header comes from the tie rule; every fifth has a
 * `since` date (two more classes).
 */
function healthRows(n: number, from = 0): HealthRow[] {
  return Array.from({ length: n }, (_, i) => {
    const r = readHealthRecord(INDEX_KEY, [
      `0010990${String(from + i).padStart(5, '0')}`,
      i % 2 ? 'F0' : 'F1',
      i % 5 === 0 ? '2021-09-18' : '',
      '',
      'Nguyễn Văn A',
      '',
    ]);
    if (!r.ok) throw new Error(r.error.reason);
    return r.value;
  });
}

function whitelistRows(): WhitelistRow[] {
  return [
    ['B1234567', 'shipper', '', '', 'A', '', ''],
    ['001099012345', 'official', '', '', '', '', ''],
    ['B7654321', 'permit', '2021-09-01', '2021-10-01', 'B', '', ''],
    ['B5555555', 'permit', '2021-09-01', '2021-10-01', 'A;B', '', ''],
    ['001099054321', 'medical', '', '2021-12-31', 'A', '', ''],
    ['B9999999', 'shipper', '', '', 'C', '', ''],
  ].map((f) => {
    const r = readWhitelistRecord(INDEX_KEY, f);
    if (!r.ok) throw new Error(r.error.reason);
    return r.value;
  });
}

/** A snapshot's bytes from `start`, wherever they are kept. */
async function bytesOf(snap: BuiltSnapshot, start = 0): Promise<Buffer> {
  const body = await snapshotBody(snap, start);
  if (Buffer.isBuffer(body)) return Buffer.from(body);
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const pgUrl = (pool: PgPool): string =>
  (pool as PgPool & { options: { connectionString: string } }).options.connectionString;

/** The list writer and snapshot store of one engine's database. */
function storesOf(
  d: EngineDb,
  deps: PgSnapshotDeps = {},
): { writer: ListWriterStore; snapshots: SnapshotsStore } {
  if (d.engine === 'sqlite') {
    const s = openSqliteStore(d.db, { indexKey: INDEX_KEY, clock: () => 0 });
    return { writer: s.listWriter, snapshots: s.snapshots };
  }
  return { writer: new PgListWriterStore(d.pool), snapshots: new PgSnapshotStore(d.pool, deps) };
}

async function write<L extends ListName>(
  w: ListWriterStore,
  list: L,
  rows: readonly (L extends 'health' ? HealthRow : WhitelistRow)[],
): Promise<void> {
  await w.write(list, { rows } as never, { now: 1, actor: 't', action: 'list.import' });
}

describeEngines('SnapshotsStore', ({ engine, open }) => {
  it('keys every entry with the lane’s list key, in ascending order, with its class', async () => {
    const d = await open();
    const { writer, snapshots } = storesOf(d, { chunkBytes: 512 });
    const rows = healthRows(700);
    await write(writer, 'health', rows);
    for (const key of [FLEET, HCM]) {
      const snap = await snapshots.current('health', 'A', key);
      expect(snap).toMatchObject({ list: 'health', version: 1, checkpointId: '', keyId: key.id, count: 700 });
      const bytes = await bytesOf(snap);
      expect(bytes.length).toBe(snap.size);
      expect(snap.etag).toBe(`"${snap.digest}"`);
      const { header, entries } = decodeSnapshot(bytes);
      expect(header).toMatchObject({ list: 'health', version: 1, count: 700 });
      expect(entries.map((e) => e.key)).toEqual(
        rows.map((r) => laneSubjectKey(key.key, r.subject)).sort(ascending),
      );
      const status = new Map(rows.map((r) => [laneSubjectKey(key.key, r.subject), r.status]));
      expect(entries.every((e) => status.get(e.key) === (e.entry as { status: string }).status)).toBe(true);
    }
    expect(snapshots.lastBuild).toMatchObject({ list: 'health', entries: 700 });
    // Another checkpoint of the scope gets the same snapshot, not a new build.
    const before = snapshots.lastBuild;
    const again = await snapshots.current('health', 'B', HCM);
    expect(snapshots.lastBuild).toBe(before);
    expect(again.digest).toBe((await snapshots.current('health', 'A', HCM)).digest);
  });

  it('cuts whitelist snapshots per checkpoint: only what applies there', async () => {
    const d = await open();
    const { writer, snapshots } = storesOf(d);
    const rows = whitelistRows();
    await write(writer, 'whitelist', rows);
    const at = async (cp: string) =>
      decodeSnapshot(await bytesOf(await snapshots.current('whitelist', cp, HCM)));
    const a = await at('A');
    expect(a.header).toMatchObject({ checkpointId: 'A', count: 4 });
    expect(a.entries.map((e) => e.key)).toEqual(
      [rows[0], rows[1], rows[3], rows[4]]
        .map((r) => laneSubjectKey(HCM.key, r?.subject ?? ''))
        .sort(ascending),
    );
    const checkpointsOf = new Map(
      a.entries.map((e) => [e.key, (e.entry as { checkpoints: unknown }).checkpoints]),
    );
    expect(checkpointsOf.get(laneSubjectKey(HCM.key, rows[1]?.subject ?? ''))).toBeNull();
    expect(checkpointsOf.get(laneSubjectKey(HCM.key, rows[3]?.subject ?? ''))).toEqual(['A']);
    expect((await at('B')).header).toMatchObject({ checkpointId: 'B', count: 3 });
    expect((await at('Z')).header).toMatchObject({ checkpointId: 'Z', count: 1 });
  });

  it('builds a new version anew and answers the bytes from any offset', async () => {
    const d = await open();
    const { writer, snapshots } = storesOf(d, { chunkBytes: 100 });
    await write(writer, 'health', healthRows(300));
    const v1 = await snapshots.current('health', 'A', FLEET);
    await write(writer, 'health', healthRows(3, 300));
    const v2 = await snapshots.current('health', 'A', FLEET);
    expect([v1.version, v2.version, v2.count]).toEqual([1, 2, 303]);
    expect(v2.digest).not.toBe(v1.digest);
    const whole = await bytesOf(v2);
    for (const start of [1, 99, 100, 101, 250, whole.length - 1])
      expect(Buffer.compare(await bytesOf(v2, start), whole.subarray(start))).toBe(0);
  });

  if (engine === 'postgres')
    it('prunes a snapshot once it stopped being current more than retainMs ago, retired keys’ too', async () => {
      const d = await open();
      if (d.engine !== 'postgres') throw new Error('postgres only');
      let now = 0;
      const { writer, snapshots } = storesOf(d, { chunkBytes: 64, clock: () => now, retainMs: 60_000 });
      const cached = async () =>
        (
          await d.pool.query<{ k: string }>(
            `SELECT list || ':' || version || ':' || scope || ':' || key_id AS k FROM snapshot_cache ORDER BY 1`,
          )
        ).rows.map((r) => r.k);
      await write(writer, 'health', healthRows(50));
      await write(writer, 'whitelist', whitelistRows());
      await snapshots.current('health', 'A', FLEET);
      await snapshots.current('health', 'A', HCM);
      await snapshots.current('whitelist', 'A', HCM);
      await snapshots.current('whitelist', 'B', HCM);
      await snapshots.current('health', 'A', HCM_NEXT); // HCM's key rotated: key 2's snapshot may still be read
      expect(await cached()).toEqual([
        'health:1::1',
        'health:1::2',
        'health:1::3',
        'whitelist:1:A:2',
        'whitelist:1:B:2',
      ]);
      now = 30_000;
      await write(writer, 'health', healthRows(1, 100)); // v2
      await snapshots.current('health', 'A', FLEET);
      now = 70_000; // key 3 cached 70 s ago: key 2's snapshot goes; v2 cached 40 s ago: v1 stays
      await write(writer, 'health', healthRows(1, 101)); // v3
      await snapshots.current('health', 'A', HCM_NEXT);
      expect(await cached()).toEqual([
        'health:1::1',
        'health:1::3',
        'health:2::1',
        'health:3::3',
        'whitelist:1:A:2',
        'whitelist:1:B:2',
      ]);
      now = 100_000; // v2 cached 70 s ago: v1 goes for every key; v2 stays (v3 cached 30 s ago)
      await snapshots.current('health', 'A', FLEET);
      expect(await cached()).toEqual([
        'health:2::1',
        'health:3::1',
        'health:3::3',
        'whitelist:1:A:2',
        'whitelist:1:B:2',
      ]);
      const { rows } = await d.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM snapshot_chunks c
         WHERE NOT EXISTS (SELECT 1 FROM snapshot_cache s
           WHERE (s.list, s.version, s.scope, s.key_id) = (c.list, c.version, c.scope, c.key_id))`,
      );
      expect(rows[0]?.n).toBe(0);
    });

  if (engine === 'postgres')
    it('fails a read whose chunks were pruned under it, never ends it short', async () => {
      const d = await open();
      if (d.engine !== 'postgres') throw new Error('postgres only');
      let now = 0;
      const { writer, snapshots } = storesOf(d, {
        chunkBytes: 64,
        clock: () => now,
        retainMs: 1_000,
        memoryBytes: 0, // streamed from the chunks, not read into memory
      });
      await write(writer, 'health', healthRows(200));
      const v1 = await snapshots.current('health', 'A', FLEET);
      expect(v1.size).toBeGreaterThan(3 * 64);
      const reading = await snapshotBody(v1, 0);
      if (Buffer.isBuffer(reading)) throw new Error('a stream from the chunks');
      const it = reading[Symbol.asyncIterator]();
      const first = await it.next();
      expect((first.value as Buffer).length).toBe(64);
      // The list moves on twice, past the grace: v1 is pruned while it is being read.
      await write(writer, 'health', healthRows(1, 500));
      await snapshots.current('health', 'A', FLEET);
      now = 5_000;
      await write(writer, 'health', healthRows(1, 501));
      await snapshots.current('health', 'A', FLEET);
      await expect(
        (async () => {
          for (;;) if ((await it.next()).done) return 'ended';
        })(),
      ).rejects.toBeInstanceOf(SnapshotGoneError);
      // Read from the start now: it fails before its first byte.
      await expect(bytesOf(v1)).rejects.toMatchObject({ statusCode: 503, code: 'snapshot_gone' });
    });

  if (engine === 'postgres')
    it('bounds a build: its statements time out, a request waits for a build slot only so long', async () => {
      const d = await open();
      if (d.engine !== 'postgres') throw new Error('postgres only');
      await write(new PgListWriterStore(d.pool), 'health', healthRows(20));
      await write(new PgListWriterStore(d.pool), 'whitelist', whitelistRows());
      const holder = await d.pool.connect();
      try {
        // Another session locks the chunk table: a build's first chunk insert waits for it.
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE snapshot_chunks IN EXCLUSIVE MODE');
        const timed = new PgSnapshotStore(d.pool, { statementTimeoutMs: 300 });
        await expect(timed.current('health', 'A', FLEET)).rejects.toMatchObject({ code: '57014' });

        const store = new PgSnapshotStore(d.pool, { maxBuilds: 1, slotWaitMs: 300 });
        const first = store.current('health', 'A', FLEET); // holds the one slot, waiting for the lock
        await new Promise((r) => setTimeout(r, 100));
        const started = performance.now();
        const second = store.current('whitelist', 'A', HCM);
        await expect(second).rejects.toBeInstanceOf(SnapshotBusyError);
        await expect(second).rejects.toThrow(/every build slot of this server stayed taken/);
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
        await holder.query('COMMIT');
        expect((await first).count).toBe(20);
        // The slot was handed back, not to the request that gave up.
        expect((await store.current('whitelist', 'A', HCM)).count).toBe(4);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
      }
      // A build over its time limit gives up (and its lock) rather than hold them.
      const slow = new PgSnapshotStore(d.pool, { buildTimeoutMs: 1, fetchRows: 1 });
      await write(new PgListWriterStore(d.pool), 'health', healthRows(5, 900));
      await expect(slow.current('health', 'A', FLEET)).rejects.toThrow(/took longer than 1 ms/);
      expect((await new PgSnapshotStore(d.pool).current('health', 'A', FLEET)).count).toBe(25);
    });
});

const pgSkip = await pgUnavailable();

describe.skipIf(pgSkip !== null)('SnapshotsStore across engines and servers', () => {
  const opened: EngineDb[] = [];
  const pools: PgPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });
  const both = async () => {
    const sqlite = await openEngine('sqlite');
    const pg = await openEngine('postgres');
    opened.push(sqlite, pg);
    return [sqlite, pg] as const;
  };
  const secondPool = async (d: EngineDb) => {
    if (d.engine !== 'postgres') throw new Error('postgres only');
    const pool = await openPg({ url: pgUrl(d.pool), applicationName: 'checkpoint-server-2' });
    pools.push(pool);
    return pool;
  };

  it('gives byte-identical snapshots on SQLite and PostgreSQL for the same list writes', async () => {
    const engines = await both();
    const stores = engines.map((d) => storesOf(d, { chunkBytes: 4096, fetchRows: 97 }));
    // Written in one order, then partly again in another: PostgreSQL's heap order is not key order.
    const health = healthRows(2_000);
    for (const { writer } of stores) {
      await write(writer, 'health', health);
      await write(writer, 'health', [...health.slice(0, 500)].reverse());
      await write(writer, 'whitelist', whitelistRows());
    }
    for (const [list, cp, key] of [
      ['health', 'A', FLEET],
      ['health', 'A', HCM],
      ['whitelist', 'A', HCM],
      ['whitelist', 'B', HCM],
      ['whitelist', 'Z', FLEET],
    ] as const) {
      const [a, b] = await Promise.all(stores.map((s) => s.snapshots.current(list, cp, key)));
      if (!a || !b) throw new Error('two engines');
      expect([b.version, b.count, b.size, b.digest, b.etag]).toEqual([
        a.version,
        a.count,
        a.size,
        a.digest,
        a.etag,
      ]);
      expect(Buffer.compare(await bytesOf(a), await bytesOf(b))).toBe(0);
    }
  });

  it('builds once for two servers asked at once; a third serves it from the cache', async () => {
    const [, d] = await both();
    if (d.engine !== 'postgres') throw new Error('postgres only');
    await write(new PgListWriterStore(d.pool), 'health', healthRows(5_000));
    const one = new PgSnapshotStore(d.pool);
    const two = new PgSnapshotStore(await secondPool(d));
    const [a, b] = await Promise.all([one.current('health', 'A', FLEET), two.current('health', 'B', FLEET)]);
    expect(a.digest).toBe(b.digest);
    expect([one.lastBuild, two.lastBuild].filter((s) => s !== null)).toHaveLength(1);
    expect((await d.pool.query('SELECT count(*)::int AS n FROM snapshot_cache')).rows).toEqual([{ n: 1 }]);
    const three = new PgSnapshotStore(await secondPool(d));
    const c = await three.current('health', 'C', FLEET);
    expect(three.lastBuild).toBeNull();
    expect(Buffer.compare(await bytesOf(c), await bytesOf(a))).toBe(0);
    expect(decodeSnapshot(await bytesOf(c)).header.count).toBe(5_000);
  }, 60_000);

  it('waits for another server’s build, and says so when it does not finish in time', async () => {
    const [, d] = await both();
    if (d.engine !== 'postgres') throw new Error('postgres only');
    await write(new PgListWriterStore(d.pool), 'health', healthRows(10));
    // Another server's build in progress: a transaction holding the build's advisory lock.
    const holder = await (await secondPool(d)).connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [snapshotLockKey('health', '', FLEET.id)]);
      const started = performance.now();
      await expect(
        new PgSnapshotStore(d.pool, { waitMs: 300 }).current('health', 'A', FLEET),
      ).rejects.toBeInstanceOf(SnapshotBusyError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      // Once the holder ends (having cached nothing), the waiting store builds it.
      const store = new PgSnapshotStore(d.pool, { waitMs: 10_000 });
      const waiting = store.current('health', 'A', FLEET);
      await new Promise((r) => setTimeout(r, 200));
      expect(store.lastBuild).toBeNull();
      await holder.query('COMMIT');
      expect((await waiting).count).toBe(10);
      expect(store.lastBuild).toMatchObject({ entries: 10 });
    } finally {
      holder.release();
    }
  });
});

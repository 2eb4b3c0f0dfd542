import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  decodeSnapshot,
  LIST_COUNT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_VERSION_HEADER,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../db/open-database.js';
import type { PgPool } from '../../db/pg/open-pg.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../../db/pg/pg-database.testkit.js';
import { runPgMigrations } from '../../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../../db/pg/pg-migrations.js';
import { PgListWriterStore } from '../../db/pg/stores/pg-list-writer.js';
import { PgSnapshotStore } from '../../db/pg/stores/pg-snapshots.js';
import { openSqliteStore } from '../../db/store/sqlite-store.js';
import type { SnapshotsStore } from '../../db/store/store.js';
import { ListKeys, type ListKey } from '../../lists/list-keys.js';
import { readHealthRecord } from '../../lists/list-rows.js';
import { snapshotBody } from '../../lists/snapshot-build.js';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  type TestApp,
  type TestKiosk,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const H = 'id,status,since,until,name,note\n';
const W = 'id,category,valid_from,valid_until,checkpoints,name,note\n';
const KIOSK = '/api/v1/kiosk';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const keyOf = (checkpointId: string) => new ListKeys(t.db).forCheckpoint(checkpointId);

function get(k: TestKiosk, path: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url: `${KIOSK}${path}`, headers: { ...k.auth, ...headers } });
}

/** `n` health CSV lines (IDs 0010990xxxxx from `from`). */
const healthLines = (n: number, from = 0): string[] =>
  Array.from(
    { length: n },
    (_, i) => `0010990${String(from + i).padStart(5, '0')},${i % 2 ? 'F0' : 'F1'},2021-09-18,,,`,
  );

async function healthOf(n: number, from = 0): Promise<void> {
  await importCsv(t, 'health', H + healthLines(n, from).join('\n'));
}

// Whole apps on SQLite files: a loaded machine takes seconds per test.
describe('versioned snapshot URLs', { timeout: 30_000 }, () => {
  it('names the versioned URL of the current snapshot, which answers the same bytes, immutable', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    const k = await enrollKiosk(t, 'A');
    await healthOf(300);
    const current = await get(k, '/lists/health/snapshot');
    expect(current.statusCode).toBe(200);
    const keyId = keyOf('A').id;
    const etag = `"${sha256(current.rawPayload)}"`;
    expect(current.headers).toMatchObject({
      etag,
      'cache-control': 'private, no-cache',
      'content-location': `${KIOSK}/lists/health/snapshot/1/key/${keyId}`,
    });

    const versioned = await t.app.inject({
      method: 'GET',
      url: String(current.headers['content-location']),
      headers: k.auth,
    });
    expect(versioned.statusCode).toBe(200);
    expect(Buffer.compare(versioned.rawPayload, current.rawPayload)).toBe(0);
    expect(versioned.headers).toMatchObject({
      etag,
      'cache-control': 'public, max-age=31536000, immutable',
      'accept-ranges': 'bytes',
      'content-type': 'application/vnd.checkpoint-lane.snapshot',
      [LIST_VERSION_HEADER]: '1',
      [LIST_COUNT_HEADER]: '300',
      [LIST_KEY_ID_HEADER]: String(keyId),
    });
    expect(versioned.headers['x-list-signature']).toMatch(/^[0-9a-f]{16}:/);
    expect(decodeSnapshot(versioned.rawPayload).header).toMatchObject({ version: 1, count: 300 });
  });

  it('answers 304 to its ETag, and byte ranges (N- and N-M) while If-Range matches', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    const k = await enrollKiosk(t, 'A');
    await healthOf(200);
    const url = `/lists/health/snapshot/1/key/${keyOf('A').id}`;
    const whole = await get(k, url);
    const etag = String(whole.headers.etag);
    const bytes = whole.rawPayload;

    for (const path of [url, '/lists/health/snapshot']) {
      const same = await get(k, path, { 'if-none-match': `"other", ${etag}` });
      expect(same.statusCode).toBe(304);
      expect(same.rawPayload.length).toBe(0);
      expect(same.headers.etag).toBe(etag);
      expect((await get(k, path, { 'if-none-match': '"other"' })).statusCode).toBe(200);
    }

    const tail = await get(k, url, { range: 'bytes=100-', 'if-range': etag });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes 100-${bytes.length - 1}/${bytes.length}`);
    expect(Buffer.compare(tail.rawPayload, bytes.subarray(100))).toBe(0);
    const middle = await get(k, url, { range: 'bytes=10-19' });
    expect(middle.statusCode).toBe(206);
    expect(middle.headers['content-length']).toBe('10');
    expect(Buffer.compare(middle.rawPayload, bytes.subarray(10, 20))).toBe(0);
    // Another ETag in If-Range: the whole snapshot.
    const other = await get(k, url, { range: 'bytes=100-', 'if-range': '"not-these-bytes"' });
    expect(other.statusCode).toBe(200);
    expect(Buffer.compare(other.rawPayload, bytes)).toBe(0);
    for (const range of [`bytes=${bytes.length}-`, 'bytes=-10', 'bytes=5-2', 'items=0-']) {
      const refused = await get(k, url, { range });
      expect(refused.statusCode).toBe(416);
      // Not kept by a shared cache, and not tagged as the snapshot.
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(refused.headers.etag).toBeUndefined();
    }
  });

  it('says which version is current once the list moved on, and refuses URLs that are not this lane’s', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    await addCheckpoint(t, 'B', 'closed');
    const a = await enrollKiosk(t, 'A');
    await healthOf(20);
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,A,,\n001099012345,official,,,,,\n`);
    const keyId = keyOf('A').id;
    expect((await get(a, `/lists/health/snapshot/1/key/${keyId}`)).statusCode).toBe(200);
    await healthOf(1, 100); // health v2

    const gone = await get(a, `/lists/health/snapshot/1/key/${keyId}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toEqual({
      error: 'snapshot_version_gone',
      message: `version 1 of the health list is no longer current: it is at version 2 (GET ${KIOSK}/lists/health/snapshot/2/key/${keyId})`,
    });
    expect(gone.headers['cache-control']).toBe('no-store');
    const ahead = await get(a, `/lists/health/snapshot/7/key/${keyId}`);
    expect(ahead.statusCode).toBe(404);
    // A cache must not keep "no such version": the list reaches it later.
    expect(ahead.headers['cache-control']).toBe('no-store');
    expect(ahead.json()).toMatchObject({ error: 'snapshot_version_unknown' });
    expect(ahead.json<{ message: string }>().message).toContain('it is at version 2');

    const rotated = await get(a, `/lists/health/snapshot/2/key/${keyId + 40}`);
    expect(rotated.statusCode).toBe(410);
    expect(rotated.json()).toMatchObject({ error: 'list_key_rotated' });

    // The whitelist is cut per checkpoint: its URL names the lane's own.
    const wl = await get(a, '/lists/whitelist/snapshot');
    expect(wl.headers['content-location']).toBe(
      `${KIOSK}/lists/whitelist/snapshot/1/key/${keyId}/checkpoint/A`,
    );
    const own = await get(a, `/lists/whitelist/snapshot/1/key/${keyId}/checkpoint/A`);
    expect(own.statusCode).toBe(200);
    expect(Buffer.compare(own.rawPayload, wl.rawPayload)).toBe(0);
    const other = await get(a, `/lists/whitelist/snapshot/1/key/${keyId}/checkpoint/B`);
    expect(other.json()).toMatchObject({ error: 'wrong_checkpoint' });
    expect(other.headers['cache-control']).toBe('no-store');
    expect((await get(a, `/lists/whitelist/snapshot/1/key/${keyId}`)).json()).toMatchObject({
      error: 'checkpoint_required',
    });
    expect((await get(a, `/lists/health/snapshot/2/key/${keyId}/checkpoint/A`)).json()).toMatchObject({
      error: 'checkpoint_not_expected',
    });
    for (const bad of [
      '/lists/health/snapshot/-1/key/1',
      '/lists/health/snapshot/x/key/1',
      '/lists/health/snapshot/2/key/x',
      '/lists/whitelist/snapshot/1/key/1/checkpoint/+A',
      '/lists/health/snapshot/2',
    ])
      expect((await get(a, bad)).statusCode).toBe(400);
    const unauthenticated = await t.app.inject({
      method: 'GET',
      url: `${KIOSK}/lists/health/snapshot/2/key/${keyId}`,
    });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.headers['cache-control']).toBe('no-store');
  });

  it('names every value that selects the bytes in the path; the query form redirects there', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    await addCheckpoint(t, 'B', 'closed');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,A,,\n001099012345,official,,,,,\n`);
    const keyId = keyOf('A').id;
    const urlA = String((await get(a, '/lists/whitelist/snapshot')).headers['content-location']);
    const urlB = String((await get(b, '/lists/whitelist/snapshot')).headers['content-location']);
    // Two checkpoints' snapshots: two paths, nothing in a query a cache may drop.
    expect(urlA).not.toContain('?');
    expect(urlA.split('?')[0]).not.toBe(urlB.split('?')[0]);

    const old = await get(a, `/lists/whitelist/snapshot/1?keyId=${keyId}&checkpoint=A`);
    expect(old.statusCode).toBe(308);
    expect(old.headers.location).toBe(urlA);
    expect(old.headers['cache-control']).toBe('no-store');
    expect(old.rawPayload.length).toBe(0);
    expect((await get(a, `/lists/health/snapshot/1?keyId=${keyId}`)).headers.location).toBe(
      `${KIOSK}/lists/health/snapshot/1/key/${keyId}`,
    );
    // The redirect does not skip the checks: B's URL still refuses A's lane.
    const redirected = await get(a, `/lists/whitelist/snapshot/1?keyId=${keyId}&checkpoint=B`);
    expect((await get(a, String(redirected.headers.location).slice(KIOSK.length))).statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'GET', url: `${KIOSK}/lists/health/snapshot/1?keyId=${keyId}` }))
        .statusCode,
    ).toBe(401);
  });

  it('answers HEAD with every check and no body: what a proxy asks before it serves a cached snapshot', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    await addCheckpoint(t, 'B', 'closed');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,A,,\n`);
    const url = String((await get(a, '/lists/whitelist/snapshot')).headers['content-location']);
    const head = (k: TestKiosk | null) => t.app.inject({ method: 'HEAD', url, headers: k ? k.auth : {} });
    const ok = await head(a);
    expect(ok.statusCode).toBe(200);
    expect(ok.rawPayload.length).toBe(0);
    expect(ok.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await head(b)).statusCode).toBe(403);
    expect((await head(null)).statusCode).toBe(401);
  });

  it('serves a list never written (version 0) by the URL its Content-Location names', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    const k = await enrollKiosk(t, 'A');
    for (const list of ['health', 'whitelist'] as const) {
      const current = await get(k, `/lists/${list}/snapshot`);
      expect(current.statusCode).toBe(200);
      expect(current.headers[LIST_VERSION_HEADER]).toBe('0');
      const location = String(current.headers['content-location']);
      expect(location).toContain(`/lists/${list}/snapshot/0/key/`);
      const versioned = await t.app.inject({ method: 'GET', url: location, headers: k.auth });
      expect(versioned.statusCode).toBe(200);
      expect(Buffer.compare(versioned.rawPayload, current.rawPayload)).toBe(0);
      expect(decodeSnapshot(versioned.rawPayload).header).toMatchObject({ version: 0, count: 0 });
    }
  });
});

const pgSkip = await pgUnavailable();

describe.skipIf(pgSkip !== null)(
  'snapshot routes over the PostgreSQL snapshot cache',
  { timeout: 60_000 },
  () => {
    let pg: TestDatabase | null = null;
    afterEach(async () => {
      await pg?.drop();
      pg = null;
    });

    it('serves the chunks one server built from another server, by the same versioned URL and ETag', async () => {
      pg = await createTestDatabase();
      const pool = await pg.open();
      await runPgMigrations(pool, PG_MIGRATIONS);
      // The rest of the state on SQLite; the lists written the same on PostgreSQL, where both
      // servers' snapshot stores (two pools) build and read.
      const db = openDatabase(':memory:');
      const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
      const lines = healthLines(400);
      const rows = lines.map((l) => {
        const r = readHealthRecord(listKey, l.split(','));
        if (!r.ok) throw new Error(r.error.reason);
        return r.value;
      });
      await new PgListWriterStore(pool).write(
        'health',
        { rows },
        { now: 1, actor: 't', action: 'list.import' },
      );
      const first = new PgSnapshotStore(pool, { chunkBytes: 256 });
      // Nothing held in memory there: its answers are streamed from the chunks.
      const second = new PgSnapshotStore(await pg.open(), { chunkBytes: 256, memoryBytes: 0 });
      // The app's snapshot store answers through whichever server's store is active.
      let active = first;
      const snapshots: SnapshotsStore = {
        current: (list, cp, key) => active.current(list, cp, key),
        get lastBuild() {
          return active.lastBuild;
        },
      };
      const store = { ...openSqliteStore(db, { indexKey: listKey, clock: Date.now }), snapshots };
      t = await buildTestApp({ store, listKey });
      await addCheckpoint(t, 'A', 'closed');
      const k = await enrollKiosk(t, 'A');
      await importCsv(t, 'health', H + lines.join('\n'));

      const built = await get(k, '/lists/health/snapshot');
      expect(built.statusCode).toBe(200);
      expect(first.lastBuild).toMatchObject({ entries: 400 });
      expect(decodeSnapshot(built.rawPayload).header).toMatchObject({ version: 1, count: 400 });
      const url = String(built.headers['content-location']).slice(KIOSK.length);
      const etag = String(built.headers.etag);
      expect(etag).toBe(`"${sha256(built.rawPayload)}"`);

      // The second server: its own snapshot store, nothing built there.
      active = second;
      const served = await get(k, url);
      expect(served.statusCode).toBe(200);
      expect(second.lastBuild).toBeNull();
      expect(served.headers.etag).toBe(etag);
      expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(Buffer.compare(served.rawPayload, built.rawPayload)).toBe(0);
      // Ranges across chunk edges, streamed from the chunks.
      for (const [from, to] of [
        [255, 256],
        [256, 511],
        [100, 1_000],
      ] as const) {
        const part = await get(k, url, { range: `bytes=${from}-${to}`, 'if-range': etag });
        expect(part.statusCode).toBe(206);
        expect(Buffer.compare(part.rawPayload, built.rawPayload.subarray(from, to + 1))).toBe(0);
      }
      const tail = await get(k, url, { range: 'bytes=700-', 'if-range': etag });
      expect(Buffer.compare(tail.rawPayload, built.rawPayload.subarray(700))).toBe(0);
      expect((await get(k, url, { 'if-none-match': etag })).statusCode).toBe(304);
      db.close();
    });

    it('answers 503 with Retry-After, never a short 200, when the cache cannot give the bytes', async () => {
      pg = await createTestDatabase();
      const pool = await pg.open();
      await runPgMigrations(pool, PG_MIGRATIONS);
      const db = openDatabase(':memory:');
      const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
      const writeHealth = async (lines: string[]) => {
        const rows = lines.map((l) => {
          const r = readHealthRecord(listKey, l.split(','));
          if (!r.ok) throw new Error(r.error.reason);
          return r.value;
        });
        await new PgListWriterStore(pool).write(
          'health',
          { rows },
          { now: 1, actor: 't', action: 'list.import' },
        );
      };
      await writeHealth(healthLines(100));
      // Nothing held in memory: each answer reads the cache.
      let snapshots = new PgSnapshotStore(pool, { chunkBytes: 64, memoryBytes: 0 });
      const store = {
        ...openSqliteStore(db, { indexKey: listKey, clock: Date.now }),
        snapshots: {
          current: (...a: Parameters<PgSnapshotStore['current']>) => snapshots.current(...a),
          get lastBuild() {
            return snapshots.lastBuild;
          },
        },
      };
      t = await buildTestApp({ store, listKey });
      await addCheckpoint(t, 'A', 'closed');
      const k = await enrollKiosk(t, 'A');
      const v1 = await get(k, '/lists/health/snapshot');
      expect(v1.statusCode).toBe(200);

      // The snapshot a request found is pruned before its first byte is read (its cache row
      // deleted between the lookup and the read, as a build on another server does).
      const found = snapshots.current.bind(snapshots);
      snapshots.current = async (...a) => {
        const snap = await found(...a);
        await pool.query('DELETE FROM snapshot_cache');
        return snap;
      };
      const gone = await get(k, '/lists/health/snapshot');
      expect(gone.statusCode).toBe(503);
      expect(gone.json()).toMatchObject({ error: 'snapshot_gone' });
      expect(gone.headers['retry-after']).toBe('5');
      expect(gone.headers['cache-control']).toBe('no-store');

      // Every build slot taken (a build waiting on a locked chunk table): 503 snapshot_busy.
      snapshots = new PgSnapshotStore(pool, { maxBuilds: 1, slotWaitMs: 200 });
      const holder = await pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE snapshot_chunks IN EXCLUSIVE MODE');
        const building = snapshots.current('whitelist', 'A', { id: 1, scope: 'fleet', key: listKey });
        await new Promise((r) => setTimeout(r, 100));
        const busy = await get(k, '/lists/health/snapshot');
        expect(busy.statusCode).toBe(503);
        expect(busy.json()).toMatchObject({ error: 'snapshot_busy' });
        expect(busy.headers['retry-after']).toBe('5');
        await holder.query('COMMIT');
        await building;
      } finally {
        holder.release();
      }
      expect((await get(k, '/lists/health/snapshot')).statusCode).toBe(200);
      db.close();
    });
    /** Counts the reads of cached chunks on `pool` from now on (every query on a checked-out connection). */
    function countChunkReads(pool: PgPool): { readonly n: number } {
      const counter = { n: 0 };
      const seen = new WeakSet<object>();
      pool.on('acquire', (client) => {
        if (seen.has(client)) return;
        seen.add(client);
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        (client as { query: unknown }).query = (...a: unknown[]) => {
          const q = a[0];
          const text = typeof q === 'string' ? q : ((q as { text?: string } | undefined)?.text ?? '');
          if (text.includes('FROM snapshot_chunks')) counter.n++;
          return query(...a);
        };
      });
      return counter;
    }

    /**
     * `rows` health entries written on PostgreSQL, and a server listening on loopback whose
     * snapshots come from `snapshots` (the rest of its state on SQLite); 4 lanes at A.
     */
    async function servedFrom(
      pool: PgPool,
      snapshots: SnapshotsStore,
      rows: number,
    ): Promise<{ base: string; lanes: TestKiosk[]; keyId: number; db: Db }> {
      const db = openDatabase(':memory:');
      const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
      const health = healthLines(rows).map((l) => {
        const r = readHealthRecord(listKey, l.split(','));
        if (!r.ok) throw new Error(r.error.reason);
        return r.value;
      });
      await new PgListWriterStore(pool).write(
        'health',
        { rows: health },
        { now: 1, actor: 't', action: 'list.import' },
      );
      const store = { ...openSqliteStore(db, { indexKey: listKey, clock: Date.now }), snapshots };
      t = await buildTestApp({ store, listKey });
      await addCheckpoint(t, 'A', 'closed');
      const lanes: TestKiosk[] = [];
      for (let i = 1; i <= 4; i++) lanes.push(await enrollKiosk(t, 'A', `Lane ${i}`));
      const auth = lanes[0]?.auth ?? {};
      const key = await t.app.inject({ method: 'GET', url: `${KIOSK}/list-key`, headers: auth });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      return {
        base: `http://127.0.0.1:${port}${KIOSK}`,
        lanes,
        keyId: key.json<{ keyId: number }>().keyId,
        db,
      };
    }

    /** A GET over HTTP, its body read whole. */
    async function download(url: string, k: TestKiosk | undefined, headers: Record<string, string> = {}) {
      const res = await fetch(url, { headers: { ...k?.auth, ...headers } });
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    }

    it('serves more lanes at once than the pool has connections from one build and one read of the chunks', async () => {
      pg = await createTestDatabase();
      const pool = await pg.open();
      expect(pool.options.max).toBe(10);
      await runPgMigrations(pool, PG_MIGRATIONS);
      const snapshots = new PgSnapshotStore(pool, { chunkBytes: 1024 });
      const { base, lanes, keyId, db } = await servedFrom(pool, snapshots, 3_000);
      const reads = countChunkReads(pool);
      const versioned = `${base}/lists/health/snapshot/1/key/${keyId}`;
      // 40 downloads at once, half by the versioned URL, half by the current one, on a cold cache.
      const crowd = () =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            download(i % 2 ? versioned : `${base}/lists/health/snapshot`, lanes[i % lanes.length]),
          ),
        );
      const first = await crowd();
      const whole = first[0]?.body ?? Buffer.alloc(0);
      const etag = `"${sha256(whole)}"`;
      expect(decodeSnapshot(whole).header).toMatchObject({ version: 1, count: 3_000 });
      const chunks = Math.ceil(whole.length / 1024);
      expect(chunks).toBeGreaterThan(10);
      for (const r of first) {
        expect(r.status).toBe(200);
        expect(r.headers.get('etag')).toBe(etag);
        expect(r.headers.get('content-length')).toBe(String(whole.length));
        expect(Buffer.compare(r.body, whole)).toBe(0);
      }
      // One build, its chunks read once (into memory), 40 full answers.
      expect((await pool.query('SELECT count(*)::int AS n FROM snapshot_cache')).rows).toEqual([{ n: 1 }]);
      expect(snapshots.lastBuild).toMatchObject({ entries: 3_000 });
      expect(reads.n).toBe(chunks);
      expect(snapshots.memory).toEqual({ bytes: whole.length, snapshots: 1 });
      // Again: from memory, no chunk read.
      for (const r of await crowd()) {
        expect(r.status).toBe(200);
        expect(Buffer.compare(r.body, whole)).toBe(0);
      }
      expect(reads.n).toBe(chunks);
      // A cut download resumes from memory; another ETag in If-Range gets the whole snapshot.
      const tail = await download(versioned, lanes[0], { range: 'bytes=5000-', 'if-range': etag });
      expect(tail.status).toBe(206);
      expect(tail.headers.get('content-range')).toBe(`bytes 5000-${whole.length - 1}/${whole.length}`);
      expect(Buffer.compare(tail.body, whole.subarray(5000))).toBe(0);
      const other = await download(versioned, lanes[0], { range: 'bytes=5000-', 'if-range': '"other"' });
      expect(other.status).toBe(200);
      expect(Buffer.compare(other.body, whole)).toBe(0);
      db.close();
    });

    it('streams a snapshot larger than its memory on one held connection per answer, a few at a time', async () => {
      pg = await createTestDatabase();
      const pool = await pg.open({ max: 4 });
      await runPgMigrations(pool, PG_MIGRATIONS);
      let snapshots = new PgSnapshotStore(pool, {
        chunkBytes: 1024,
        memoryBytes: 1024,
        maxStreams: 2,
        streamWaitMs: 30_000,
      });
      const active: SnapshotsStore = {
        current: (...a) => snapshots.current(...a),
        get lastBuild() {
          return snapshots.lastBuild;
        },
      };
      const { base, lanes, db } = await servedFrom(pool, active, 3_000);
      const reads = countChunkReads(pool);
      const url = `${base}/lists/health/snapshot`;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => download(url, lanes[i % 4])));
      const whole = answers[0]?.body ?? Buffer.alloc(0);
      expect(decodeSnapshot(whole).header).toMatchObject({ version: 1, count: 3_000 });
      for (const r of answers) {
        expect(r.status).toBe(200);
        expect(Buffer.compare(r.body, whole)).toBe(0);
      }
      expect(snapshots.memory.snapshots).toBe(0);
      expect(reads.n).toBe(20 * Math.ceil(whole.length / 1024));
      // Every connection back in the pool once the answers are sent.
      await expect.poll(() => pool.totalCount - pool.idleCount).toBe(0);

      // The one stream slot taken (a stream opened, not read): an answer waits 300 ms, then 503.
      snapshots = new PgSnapshotStore(pool, {
        chunkBytes: 1024,
        memoryBytes: 0,
        maxStreams: 1,
        streamWaitMs: 300,
      });
      const other: ListKey = { id: 99, scope: 'elsewhere', key: Buffer.alloc(32, 9) };
      const held = await snapshotBody(await snapshots.current('health', 'A', other), 0);
      const started = performance.now();
      const busy = await download(url, lanes[0]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(busy.status).toBe(503);
      expect(JSON.parse(busy.body.toString())).toMatchObject({ error: 'snapshot_busy' });
      expect(busy.headers.get('retry-after')).toBe('5');
      expect(busy.headers.get('cache-control')).toBe('no-store');
      // A HEAD reads no bytes: it needs no slot.
      const head = await fetch(url, { method: 'HEAD', headers: lanes[0]!.auth });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(whole.length));
      // The stream dropped unread gives its slot and connection back.
      if (Buffer.isBuffer(held)) throw new Error('a stream from the chunks');
      held.destroy();
      const after = await download(url, lanes[1]);
      expect(after.status).toBe(200);
      expect(Buffer.compare(after.body, whole)).toBe(0);
      await expect.poll(() => pool.totalCount - pool.idleCount).toBe(0);
      db.close();
    });
  },
);

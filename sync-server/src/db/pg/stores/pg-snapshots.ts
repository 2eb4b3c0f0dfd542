import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ListName } from '@checkpoint-lane/shared';
import type pg from 'pg';
import { EVERYWHERE_SCOPE } from '../../../lists/list-counts.js';
import type { ListKey } from '../../../lists/list-keys.js';
import { listKind } from '../../../lists/list-kinds.js';
import { TimeSlice } from '../../../lists/rekey.js';
import {
  buildStats,
  encodeCollected,
  snapshotEtag,
  SnapshotBusyError,
  SnapshotCollector,
  SnapshotGoneError,
  type BuiltSnapshot,
  type CollectedSnapshot,
  type SnapshotBuildStats,
} from '../../../lists/snapshot-build.js';
import type { SnapshotsStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import type { Queryable } from '../pg-tx.js';

export { SnapshotBusyError } from '../../../lists/snapshot-build.js';

/** What the snapshot store needs besides its pool. */
export interface PgSnapshotDeps {
  /** Epoch ms (when a snapshot was built). */
  readonly clock?: () => number;
  /** Bytes per cached chunk (default 1 MiB). */
  readonly chunkBytes?: number;
  /** Rows per FETCH from the build's cursor (default 4,096). */
  readonly fetchRows?: number;
  /** How long to wait for another server's build of the same snapshot before giving up, ms (default 10 min). */
  readonly waitMs?: number;
  /** Builds this server runs at once (default 2): each holds two pooled connections and its entries in memory. */
  readonly maxBuilds?: number;
  /** How long a request waits for one of those build slots before a `SnapshotBusyError`, ms (default 60 s). */
  readonly slotWaitMs?: number;
  /**
   * How long one build may take, ms (default 10 min; a 10M-entry snapshot builds in about 26 s
   * on SQLite on a shared 2-core machine): checked between FETCHes and chunk writes, and the
   * writer's `idle_in_transaction_session_timeout` (it is idle while the list is read), so a
   * stuck build lets go of its advisory lock.
   */
  readonly buildTimeoutMs?: number;
  /**
   * `statement_timeout` of each statement of a build (a FETCH of `fetchRows` rows, a chunk
   * insert), and the reader's `idle_in_transaction_session_timeout` (it is idle between FETCHes
   * while the rows fetched are keyed), ms (default 60 s).
   */
  readonly statementTimeoutMs?: number;
  /**
   * How long a snapshot stays cached after it stopped being current, ms (default 30 min): a
   * server may still be streaming it (72 MB for 10M entries). Pruned by a later build once the
   * list's next version (or the scope's next list key) was cached longer ago than this.
   */
  readonly retainMs?: number;
  /**
   * Bytes of snapshots this server keeps in memory (default 256 MiB, `SNAPSHOT_MEMORY_BYTES`): the
   * least recently served go first. A snapshot is read into memory once (all its chunks on one
   * pooled connection), then served from there; one larger than this is streamed instead.
   */
  readonly memoryBytes?: number;
  /**
   * Snapshots larger than `memoryBytes` this server streams at once, each on one pooled connection
   * it holds until the answer is sent (default a third of the pool, at least 1; must be below the
   * pool's size so other requests still get connections).
   */
  readonly maxStreams?: number;
  /** How long such a stream waits for its turn before a `SnapshotBusyError` (503), ms (default 30 s). */
  readonly streamWaitMs?: number;
}

/** Bytes of snapshots a server keeps in memory by default. */
export const SNAPSHOT_MEMORY_BYTES = 256 * 2 ** 20;

/** Bytes per cached chunk by default. */
export const SNAPSHOT_CHUNK_BYTES = 1 << 20;

/** Rows read between two looks at the build's time slice. */
const CHECK_ROWS = 512;

/** Polls for another server's build: first after this long (ms), doubling up to `POLL_MAX_MS`. */
const POLL_FIRST_MS = 50;
const POLL_MAX_MS = 1_000;

/**
 * SQL: each entry a lane at `$1` (whitelist) gets, as the collector takes it: raw subject, class columns
 * `a, b, c, s` (as `SnapshotRules.classColumns` in list-kinds.ts, over PostgreSQL's text[]
 * checkpoint sets), and the index key's signed high and unsigned low 32 bits.
 */
const KEY_HALVES = '(subject_key >> 32)::int4, subject_key & 4294967295';
const WHITELIST_APPLIES = 'checkpoints IS NULL OR checkpoints @> ARRAY[$1::text]';
const ROWS_SQL: Readonly<Record<ListName, string>> = {
  health: `SELECT subject, status, since, until, 0, ${KEY_HALVES} FROM health_entries`,
  whitelist: `SELECT subject, category, valid_from, valid_until,
      CASE WHEN checkpoints IS NULL THEN 0 WHEN checkpoints @> ARRAY[$1::text] THEN 1 ELSE 2 END, ${KEY_HALVES}
    FROM whitelist_entries WHERE ${WHITELIST_APPLIES}`,
};

/** A row as fetched (times and low key halves arrive as numbers: the pool parses int8 to number). */
type PgSnapRow = [
  subject: string,
  a: string,
  b: number | null,
  c: number | null,
  s: number,
  hi: number,
  lo: number,
];

/** A cache row's facts. */
interface CacheRow {
  size: number;
  count: number;
  digest: string;
  chunk_bytes: number;
}

/** Which cached snapshot: the cache table's key. */
interface CacheKey {
  readonly list: ListName;
  readonly version: number;
  readonly scope: string;
  readonly key: ListKey;
}

/** The advisory lock key (signed 64-bit, as text) of the builds of one (list, checkpoint scope, list key). */
export function snapshotLockKey(list: ListName, scope: string, keyId: number): string {
  const d = createHash('sha256').update(`snapshot-build\n${list}\n${scope}\n${keyId}`).digest();
  return d.readBigInt64BE(0).toString();
}

/**
 * List snapshots on PostgreSQL, built once per (list, version, checkpoint scope, list key) for
 * the whole fleet and kept in the database (`snapshot_cache`, `snapshot_chunks`: migration 004),
 * so any server serves what another built. A build holds a transaction-level advisory lock on its
 * (list, scope, key) while it writes the chunks: another server asking for the same snapshot
 * meanwhile polls until the lock is free, then reads the cache. The build reads the list at one
 * version in one `REPEATABLE READ READ ONLY` transaction through a cursor (a few thousand rows at
 * a time, never the list), keys and encodes it with the pipeline SQLite uses (`snapshot-build.ts`:
 * the same bytes for the same list), and writes it in chunks as they are made. Each build prunes
 * the snapshots that stopped being current (a later version, or a later key of the key scope,
 * cached) more than `retainMs` ago. Each server reads a snapshot it serves into its own memory
 * once (all chunks on one pooled connection; requests meanwhile wait for that read) and serves it
 * from there, holding up to `memoryBytes` of snapshots, least recently served dropped first: a
 * crowd of lanes costs the pool one connection per snapshot, not one checkout per chunk per lane.
 * A snapshot larger than that is streamed from its chunks on one held connection per answer, at
 * most `maxStreams` at once (the rest wait `streamWaitMs`, then `SnapshotBusyError`); a stream
 * whose chunks were pruned under it fails with `SnapshotGoneError`. The build's two transactions have
 * `SET LOCAL` statement and idle timeouts, the build a time limit, and a request waits a bounded
 * time for a build slot (`SnapshotBusyError`).
 */
export class PgSnapshotStore implements SnapshotsStore {
  readonly #building = new Map<string, Promise<BuiltSnapshot>>();
  readonly #clock: () => number;
  readonly #chunkBytes: number;
  readonly #fetchRows: number;
  readonly #waitMs: number;
  readonly #maxBuilds: number;
  readonly #slotWaitMs: number;
  readonly #buildTimeoutMs: number;
  readonly #statementTimeoutMs: number;
  readonly #retainMs: number;
  readonly #memory: SnapshotMemory;
  readonly #streams: Slots;
  /** Snapshots being read into memory (or looked up and built), by `memoryId`: one load each. */
  readonly #loading = new Map<string, Promise<BuiltSnapshot>>();
  #running = 0;
  readonly #queue: (() => void)[] = [];
  #lastBuild: SnapshotBuildStats | null = null;

  constructor(
    private readonly pool: PgPool,
    deps: PgSnapshotDeps = {},
  ) {
    this.#clock = deps.clock ?? Date.now;
    this.#chunkBytes = deps.chunkBytes ?? SNAPSHOT_CHUNK_BYTES;
    this.#fetchRows = deps.fetchRows ?? 4_096;
    this.#waitMs = deps.waitMs ?? 10 * 60_000;
    this.#maxBuilds = deps.maxBuilds ?? 2;
    this.#slotWaitMs = deps.slotWaitMs ?? 60_000;
    this.#buildTimeoutMs = deps.buildTimeoutMs ?? 10 * 60_000;
    this.#statementTimeoutMs = deps.statementTimeoutMs ?? 60_000;
    this.#retainMs = deps.retainMs ?? 30 * 60_000;
    const memoryBytes = deps.memoryBytes ?? SNAPSHOT_MEMORY_BYTES;
    const poolMax = pool.options.max;
    const maxStreams = deps.maxStreams ?? Math.max(1, Math.floor(poolMax / 3));
    const streamWaitMs = deps.streamWaitMs ?? 30_000;
    for (const [name, v] of [
      ['chunkBytes', this.#chunkBytes],
      ['fetchRows', this.#fetchRows],
      ['maxBuilds', this.#maxBuilds],
      ['slotWaitMs', this.#slotWaitMs],
      ['buildTimeoutMs', this.#buildTimeoutMs],
      ['statementTimeoutMs', this.#statementTimeoutMs],
      ['maxStreams', maxStreams],
      ['streamWaitMs', streamWaitMs],
    ] as const)
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
    if (!Number.isInteger(this.#retainMs) || this.#retainMs < 0)
      throw new Error('retainMs must be an integer ≥ 0');
    if (!Number.isInteger(memoryBytes) || memoryBytes < 0)
      throw new Error('memoryBytes must be an integer ≥ 0');
    if (maxStreams >= poolMax)
      throw new Error(`maxStreams (${maxStreams}) must be below the pool's size (${poolMax})`);
    this.#memory = new SnapshotMemory(memoryBytes);
    this.#streams = new Slots(maxStreams, streamWaitMs, 'every snapshot stream of this server stayed taken');
  }

  /** Bytes of snapshots held in memory now, and how many snapshots. */
  get memory(): { readonly bytes: number; readonly snapshots: number } {
    return { bytes: this.#memory.bytes, snapshots: this.#memory.size };
  }

  /** What the last build this server ran took (null before the first; a snapshot another server built is no build here). */
  get lastBuild(): SnapshotBuildStats | null {
    return this.#lastBuild;
  }

  /**
   * The snapshot of a list at its current version, as a lane at `checkpointId` holding `key` gets
   * it: from this server's memory when it is held there (one query: the list's version), else
   * looked up in the shared cache (built there first if no server has) and read into memory, once
   * however many requests ask for it meanwhile. One larger than the memory is streamed from the
   * cache instead (see `#openStream`).
   */
  async current(list: ListName, checkpointId: string, key: ListKey): Promise<BuiltSnapshot> {
    const scope = listKind(list).snapshot.scoped ? checkpointId : '';
    const version = await listVersion(this.pool, list);
    const id = memoryId(list, version, scope, key.id);
    const hot = this.#memory.get(id);
    if (hot) return hot;
    let p = this.#loading.get(id);
    if (!p) {
      p = this.#load({ list, version, scope, key }).finally(() => this.#loading.delete(id));
      this.#loading.set(id, p);
    }
    return p;
  }

  /** The snapshot `k` from the shared cache (built first if it is not there), in memory when it fits. */
  async #load(k: CacheKey): Promise<BuiltSnapshot> {
    let at = k;
    let row = await this.#row(this.pool, k);
    if (!row) {
      // Built (or found) at the list's version by then, which may be later than k's.
      const built = await this.#built(k.list, k.scope, k.key);
      at = { ...k, version: built.version };
      row = await this.#row(this.pool, at);
      if (!row) throw new SnapshotGoneError(k.list, built.version);
    }
    if (row.size > this.#memory.capacity) return this.#fromRow(at, row);
    const id = memoryId(at.list, at.version, at.scope, at.key.id);
    const hot = this.#memory.get(id);
    if (hot) return hot;
    const held: BuiltSnapshot = {
      ...this.#facts(at, row),
      bytes: await this.#readAll(at, row),
    };
    this.#memory.put(id, held);
    return held;
  }

  /** The build of (list, scope, key): one attempt at a time in this process; other servers are kept out by the lock. */
  #built(list: ListName, scope: string, key: ListKey): Promise<BuiltSnapshot> {
    const id = `${list}\n${scope}\n${key.id}`;
    let p = this.#building.get(id);
    if (!p) {
      p = this.#buildOrWait(list, scope, key).finally(() => this.#building.delete(id));
      this.#building.set(id, p);
    }
    return p;
  }

  /** Every byte of a cached snapshot, its chunks read in order on one pooled connection. */
  async #readAll(k: CacheKey, row: CacheRow): Promise<Buffer> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (e: Error): void => {
      broken = e;
    };
    client.on('error', onError);
    try {
      const parts: Buffer[] = [];
      for await (const part of readChunks(client, k, row, 0, row.size)) parts.push(part);
      const bytes = Buffer.concat(parts);
      if (bytes.length !== row.size)
        throw new Error(`the cached ${k.list} snapshot has ${bytes.length} bytes, not ${row.size}`);
      return bytes;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * A stream of a snapshot too large for the memory, bytes [start, end): it waits for one of this
   * server's stream slots (at most `streamWaitMs`, then a `SnapshotBusyError`), then reads the
   * chunks one query at a time on one pooled connection it holds until the stream is done. The
   * first chunk is read before it resolves (a `SnapshotGoneError` when it is no longer cached).
   */
  async #openStream(k: CacheKey, row: CacheRow, start: number, end: number): Promise<Readable> {
    await this.#streams.take(k.list);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.#streams.release();
      throw err;
    }
    let broken: Error | undefined;
    const onError = (e: Error): void => {
      broken = e;
    };
    client.on('error', onError);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      client.off('error', onError);
      client.release(broken);
      this.#streams.release();
    };
    const chunks = readChunks(client, k, row, start, end);
    let first: IteratorResult<Buffer>;
    try {
      first = await chunks.next();
    } catch (err) {
      release();
      throw err;
    }
    let started = false;
    async function* all(): AsyncGenerator<Buffer> {
      started = true;
      try {
        if (first.done === true) return;
        yield first.value;
        yield* chunks;
      } finally {
        // After the chunk being read (if any) came: the connection is not handed on mid-query.
        release();
      }
    }
    const stream = Readable.from(all(), { objectMode: false });
    // Destroyed before a byte was pulled (the answer never sent): the generator never ran.
    stream.once('close', () => {
      if (!started) release();
    });
    return stream;
  }

  /** The cache row of a snapshot, or null when it is not (or not yet) in the cache. */
  async #row(q: Queryable, k: CacheKey): Promise<CacheRow | null> {
    const { rows } = await q.query<CacheRow>(
      `SELECT size, count, digest, chunk_bytes FROM snapshot_cache
       WHERE list = $1 AND version = $2 AND scope = $3 AND key_id = $4`,
      [k.list, k.version, k.scope, k.key.id],
    );
    return rows[0] ?? null;
  }

  /** The cached snapshot (its bytes streamed from the cache), or null when it is not (or not yet) in the cache. */
  async #cached(q: Queryable, k: CacheKey): Promise<BuiltSnapshot | null> {
    const row = await this.#row(q, k);
    return row ? this.#fromRow(k, row) : null;
  }

  /** A cached snapshot whose bytes are streamed from the cache (`#openStream`). */
  #fromRow(k: CacheKey, row: CacheRow): BuiltSnapshot {
    return {
      ...this.#facts(k, row),
      bytes: null,
      stream: (start, end) => this.#openStream(k, row, start, end),
    };
  }

  /** What a cached snapshot is, but where its bytes are. */
  #facts(k: CacheKey, row: CacheRow): Omit<BuiltSnapshot, 'bytes' | 'stream'> {
    return {
      list: k.list,
      version: k.version,
      checkpointId: k.scope,
      keyId: k.key.id,
      keyScope: k.key.scope,
      size: row.size,
      etag: snapshotEtag(row.digest),
      file: null,
      count: row.count,
      digest: row.digest,
    };
  }

  /**
   * Builds the snapshot under the advisory lock of its (list, scope, key), or, while another
   * server holds that lock, waits for it to let go and reads what it cached (polling; no
   * connection held in between). Built or found, the snapshot is of the list's version at that
   * moment.
   */
  async #buildOrWait(list: ListName, scope: string, key: ListKey): Promise<BuiltSnapshot> {
    const started = performance.now();
    let pause = POLL_FIRST_MS;
    for (;;) {
      const built = await this.#tryBuild(list, scope, key);
      if (built) return built;
      const waited = performance.now() - started;
      if (waited >= this.#waitMs) throw new SnapshotBusyError(list, Math.round(waited));
      await sleep(Math.min(pause, this.#waitMs - waited));
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  /** The snapshot (cached by now, or built here under the lock), or null while another server builds it. */
  async #tryBuild(list: ListName, scope: string, key: ListKey): Promise<BuiltSnapshot | null> {
    await this.#slot(list);
    try {
      const writer = await this.pool.connect();
      let broken: Error | undefined;
      // A session the server ends (a timeout below) reports it here, not as an uncaught error.
      const onError = (e: Error): void => {
        broken = e;
      };
      writer.on('error', onError);
      try {
        await writer.query('BEGIN');
        try {
          // Idle while the list is read: bounded by the whole build's limit (checked in the build
          // first; the server's own limit a statement's worth later, for a build that hangs).
          await setLocalTimeouts(
            writer,
            this.#statementTimeoutMs,
            this.#buildTimeoutMs + this.#statementTimeoutMs,
          );
          const { rows } = await writer.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
            snapshotLockKey(list, scope, key.id),
          ]);
          const built = rows[0]?.ok === true ? await this.#build(writer, list, scope, key) : null;
          if (built === null) {
            // Nothing to build here, or another server is building: see what the cache holds now.
            await writer.query('ROLLBACK');
            const version = await listVersion(this.pool, list);
            return await this.#cached(this.pool, { list, version, scope, key });
          }
          await writer.query('COMMIT');
          if (built.collected) await this.#correctCounts(list, scope, built.collected);
          return built.snapshot;
        } catch (err) {
          await writer.query('ROLLBACK').catch((e: unknown) => {
            broken = e instanceof Error ? e : new Error(String(e));
          });
          throw err;
        }
      } finally {
        writer.off('error', onError);
        writer.release(broken);
      }
    } finally {
      this.#release();
    }
  }

  /**
   * Under the lock, in the writer's transaction: reads the list at one version (a second
   * connection, `REPEATABLE READ READ ONLY`, a cursor); if that version is cached already (built
   * while this server waited), answers it; else keys, encodes and writes it in chunks, its cache
   * row, and prunes older versions and retired keys' snapshots. Committed by the caller.
   */
  async #build(
    writer: pg.PoolClient,
    list: ListName,
    scope: string,
    key: ListKey,
  ): Promise<{ snapshot: BuiltSnapshot; collected: CollectedSnapshot | null }> {
    const slice = new TimeSlice();
    const started = performance.now();
    const inTime = (): void => {
      const ms = performance.now() - started;
      if (ms > this.#buildTimeoutMs)
        throw new SnapshotBusyError(
          list,
          Math.round(ms),
          `its build took longer than ${this.#buildTimeoutMs} ms`,
        );
    };
    const collected = await this.#read(writer, list, scope, key, slice, inTime);
    if (!('header' in collected)) return { snapshot: collected, collected: null };
    const { version, header } = collected;
    const ck: CacheKey = { list, version, scope, key };
    const insert =
      'INSERT INTO snapshot_chunks (list, version, scope, key_id, no, bytes) VALUES ($1, $2, $3, $4, $5, $6)';
    const chunkBytes = this.#chunkBytes;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let no = 0;
    const put = async (bytes: Buffer): Promise<void> => {
      inTime();
      await writer.query(insert, [list, version, scope, key.id, no++, bytes]);
    };
    const { size, digest } = await encodeCollected(collected, slice, async (part) => {
      pending.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      pendingBytes += part.byteLength;
      if (pendingBytes < chunkBytes) return;
      const all = Buffer.concat(pending, pendingBytes);
      let at = 0;
      for (; all.length - at >= chunkBytes; at += chunkBytes) await put(all.subarray(at, at + chunkBytes));
      pending = at < all.length ? [all.subarray(at)] : [];
      pendingBytes = all.length - at;
    });
    if (pendingBytes > 0) await put(Buffer.concat(pending, pendingBytes));
    const stats = buildStats(list, header.count, started, slice);
    await writer.query(
      `INSERT INTO snapshot_cache
         (list, version, scope, key_id, key_scope, size, count, digest, chunk_bytes, built_at, build_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        list,
        version,
        scope,
        key.id,
        key.scope,
        size,
        header.count,
        digest,
        chunkBytes,
        this.#clock(),
        Math.round(stats.ms),
      ],
    );
    // A snapshot goes once it has not been current for `retainMs` (another server may be
    // streaming it): once a later version of the list, or a later key of its key scope, was
    // cached before that (whatever checkpoint either was cut for). Its chunks go with it.
    await writer.query(
      `DELETE FROM snapshot_cache c
       WHERE c.list = $1 AND EXISTS (
         SELECT 1 FROM snapshot_cache n
         WHERE n.list = c.list AND n.built_at < $2
           AND (n.version > c.version OR (n.key_scope = c.key_scope AND n.key_id > c.key_id)))`,
      [list, this.#clock() - this.#retainMs],
    );
    this.#lastBuild = stats;
    const snapshot = await this.#cached(writer, ck);
    if (!snapshot) throw new Error('the snapshot just cached is not there');
    return { snapshot, collected };
  }

  /**
   * Reads the list at one version into a collector, or answers the cached snapshot of that
   * version when there is one (`writer` sees what other servers committed).
   */
  async #read(
    writer: Queryable,
    list: ListName,
    scope: string,
    key: ListKey,
    slice: TimeSlice,
    inTime: () => void,
  ): Promise<CollectedSnapshot | BuiltSnapshot> {
    const reader = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (e: Error): void => {
      broken = e;
    };
    reader.on('error', onError);
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        // Idle between FETCHes while the rows fetched are keyed: a statement's worth at most.
        await setLocalTimeouts(reader, this.#statementTimeoutMs, this.#statementTimeoutMs);
        const version = await listVersion(reader, list);
        const hit = await this.#cached(writer, { list, version, scope, key });
        if (hit) {
          await reader.query('COMMIT');
          return hit;
        }
        await reader.query(
          `DECLARE snapshot_rows NO SCROLL CURSOR FOR ${ROWS_SQL[list]}`,
          list === 'whitelist' ? [scope] : [],
        );
        const collector = new SnapshotCollector(list, scope, key.key);
        const fetch = { text: `FETCH ${this.#fetchRows} FROM snapshot_rows`, rowMode: 'array' as const };
        let rows: PgSnapRow[] = [];
        for (;;) {
          // The event loop is free while the next rows come.
          await slice.pause(async () => {
            rows = (await reader.query<PgSnapRow>(fetch)).rows;
          });
          if (rows.length === 0) break;
          inTime();
          let n = 0;
          for (const [subject, a, b, c, s, hi, lo] of rows) {
            if (collector.add(subject, a, b, c, s, hi, lo)) await collector.entries.sortRuns(slice);
            if (++n % CHECK_ROWS === 0 && slice.due()) await slice.pause();
          }
        }
        await reader.query('COMMIT');
        return collector.finish(version);
      } catch (err) {
        await reader.query('ROLLBACK').catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        throw err;
      }
    } finally {
      reader.off('error', onError);
      reader.release(broken);
    }
  }

  /**
   * Sets the counts a build found (see `ListCounts.correct`) if the list is still at the built
   * version: the list's state row is share-locked, so a write cannot move it in between.
   */
  async #correctCounts(list: ListName, scope: string, c: CollectedSnapshot): Promise<void> {
    const pairs: [string, number][] =
      list === 'health'
        ? [['', c.found.everywhere]]
        : [
            [EVERYWHERE_SCOPE, c.found.everywhere],
            [scope, c.found.here],
          ];
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        await client.query(
          `INSERT INTO list_counts (list, scope, n)
           SELECT $1, u.scope, u.n FROM unnest($2::text[], $3::bigint[]) AS u(scope, n)
           WHERE (SELECT version FROM list_state WHERE list = $1 FOR SHARE) = $4
           ON CONFLICT (list, scope) DO UPDATE SET n = excluded.n WHERE list_counts.n <> excluded.n`,
          [list, pairs.map((p) => p[0]), pairs.map((p) => String(p[1])), c.version],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  /** Waits for one of this server's build slots, at most `slotWaitMs` (then a `SnapshotBusyError`). */
  async #slot(list: ListName): Promise<void> {
    if (this.#running < this.#maxBuilds) {
      this.#running++;
      return;
    }
    const ms = this.#slotWaitMs;
    await new Promise<void>((resolve, reject) => {
      const take = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        // Out of the line first: `#release` never hands this slot to a request that gave up.
        const at = this.#queue.indexOf(take);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new SnapshotBusyError(list, ms, 'every build slot of this server stayed taken'));
      }, ms);
      this.#queue.push(take);
    });
  }

  /** Frees a build slot (handed straight to the next in line, if any). */
  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }
}

/** `SET LOCAL` of a transaction's statement and idle-in-transaction timeouts (ms, integers). */
async function setLocalTimeouts(q: Queryable, statementMs: number, idleMs: number): Promise<void> {
  await q.query(`SET LOCAL statement_timeout = ${statementMs}`);
  await q.query(`SET LOCAL idle_in_transaction_session_timeout = ${idleMs}`);
}

async function listVersion(q: Queryable, list: ListName): Promise<number> {
  const { rows } = await q.query<{ version: number }>('SELECT version FROM list_state WHERE list = $1', [
    list,
  ]);
  const v = rows[0]?.version;
  if (v === undefined) throw new Error(`no list_state row for ${list}`);
  return v;
}

/** The id of a snapshot in a server's memory: list, version, scope and list key id. */
function memoryId(list: ListName, version: number, scope: string, keyId: number): string {
  return `${list}\n${version}\n${scope}\n${keyId}`;
}

/**
 * Snapshots held in a server's memory, bounded by their bytes: the least recently served go first
 * when a new one would not fit, and a snapshot put in drops those it supersedes (of the same list,
 * scope and key scope, an earlier version or list key: never served again). Answers being sent
 * keep their bytes until they are sent, so the process may hold more than the bound for a while.
 * A `Map` keeps the order (re-inserted on each use); the entries are few and large.
 */
class SnapshotMemory {
  readonly #held = new Map<string, BuiltSnapshot>();
  #bytes = 0;

  constructor(readonly capacity: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#held.size;
  }

  get(id: string): BuiltSnapshot | undefined {
    const snap = this.#held.get(id);
    if (snap) {
      this.#held.delete(id);
      this.#held.set(id, snap);
    }
    return snap;
  }

  /** Holds a snapshot whose bytes are in memory (its size at most the capacity). */
  put(id: string, snap: BuiltSnapshot): void {
    for (const [other, b] of this.#held)
      if (
        b.list === snap.list &&
        b.checkpointId === snap.checkpointId &&
        b.keyScope === snap.keyScope &&
        (b.keyId < snap.keyId || (b.keyId === snap.keyId && b.version < snap.version))
      )
        this.#drop(other);
    this.#drop(id);
    for (const other of this.#held.keys()) {
      if (this.#bytes + snap.size <= this.capacity) break;
      this.#drop(other);
    }
    this.#held.set(id, snap);
    this.#bytes += snap.size;
  }

  #drop(id: string): void {
    const snap = this.#held.get(id);
    if (!snap) return;
    this.#held.delete(id);
    this.#bytes -= snap.size;
  }
}

/** A number of slots taken in turn, a bounded wait for one (then a `SnapshotBusyError`). */
class Slots {
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(
    readonly max: number,
    readonly waitMs: number,
    readonly why: string,
  ) {}

  async take(list: ListName): Promise<void> {
    if (this.#running < this.max) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const take = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        // Out of the line first: `release` never hands this slot to a request that gave up.
        const at = this.#queue.indexOf(take);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new SnapshotBusyError(list, this.waitMs, this.why));
      }, this.waitMs);
      this.#queue.push(take);
    });
  }

  /** Frees a slot (handed straight to the next in line, if any). */
  release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }
}

/** A cached snapshot's bytes [start, end), a chunk at a time (one query each, on `q`). */
async function* readChunks(
  q: Queryable,
  k: CacheKey,
  row: CacheRow,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const size = row.chunk_bytes;
  for (let no = Math.floor(start / size); no * size < end; no++) {
    const { rows } = await q.query<{ bytes: Buffer }>(
      `SELECT bytes FROM snapshot_chunks
       WHERE list = $1 AND version = $2 AND scope = $3 AND key_id = $4 AND no = $5`,
      [k.list, k.version, k.scope, k.key.id, no],
    );
    const bytes = rows[0]?.bytes;
    // Pruned while it was being read: the read fails (before the answer starts, the route answers
    // 503; later, the connection is cut), never ends short.
    if (!bytes) throw new SnapshotGoneError(k.list, k.version);
    const from = Math.max(0, start - no * size);
    const to = Math.min(bytes.length, end - no * size);
    yield from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
  }
}

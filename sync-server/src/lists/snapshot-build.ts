// The snapshot build pipeline both engines share: rows as the engine reads them (raw subject and
// class columns) → each entry keyed with the lane's list key (`KeyedEntries`), its attribute class
// counted → header (classes most used first) → entries merged in ascending key order and encoded
// (`snapshot-format.md`) → SHA-256 of the exact bytes (the signed digest). Only the row source
// differs: SQLite reads its rows from a read-only connection (`snapshot-service.ts`), PostgreSQL
// from a cursor in a REPEATABLE READ transaction (`db/pg/stores/pg-snapshots.ts`).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { SnapshotEncoder, type ListName, type SnapshotHeader } from '@checkpoint-lane/shared';
import { HttpError } from '../http-error.js';
import { listKind, type SnapshotClassRow } from './list-kinds.js';
import { KeyedEntries, type TimeSlice } from './rekey.js';

/** A built snapshot: in memory (tests, `:memory:` databases), a file in the cache dir, or a shared cache. */
export interface BuiltSnapshot {
  readonly list: ListName;
  readonly version: number;
  /** The checkpoint it is cut for ('' for a list that is the same at every checkpoint: health). */
  readonly checkpointId: string;
  /** The list key its entries are keyed with, and that key's scope. */
  readonly keyId: number;
  readonly keyScope: string;
  readonly size: number;
  /** Its strong ETag: the SHA-256 digest of its bytes, quoted (`snapshotEtag`). */
  readonly etag: string;
  readonly file: string | null;
  readonly bytes: Uint8Array | null;
  /**
   * Its bytes [start, end) when they are neither in memory nor in a file (chunks of a cache in
   * the database): the first chunk read before it resolves (a `SnapshotGoneError` when it is no
   * longer cached), the rest as the stream is consumed.
   */
  readonly stream?: (start: number, end: number) => Promise<Readable>;
  /** Entries it holds: what the lane holds once it is applied (the signed count). */
  readonly count: number;
  /** SHA-256 (hex) of its exact bytes (the signed digest). */
  readonly digest: string;
}

/**
 * A built snapshot's bytes [start, end) (`end` at most its size, default its size): a buffer in
 * memory, else a stream. Rejects with `SnapshotGoneError` when its cached chunks are gone.
 */
export async function snapshotBody(
  snap: BuiltSnapshot,
  start: number,
  end: number = snap.size,
): Promise<Buffer | Readable> {
  if (snap.bytes) return Buffer.from(snap.bytes.buffer, snap.bytes.byteOffset + start, end - start);
  if (snap.file !== null) return createReadStream(snap.file, { start, end: end - 1 });
  if (snap.stream) return snap.stream(start, end);
  throw new Error('a built snapshot has its bytes in memory, in a file or behind a stream');
}

/**
 * Raised when a snapshot was not ready within the wait: another server's build of it did not
 * finish, or this server's build slots stayed taken (the lane may ask again).
 */
export class SnapshotBusyError extends Error {
  constructor(list: ListName, waitedMs: number, why = 'another server is building it') {
    super(`the ${list} snapshot was not ready within ${waitedMs} ms: ${why}`);
    this.name = 'SnapshotBusyError';
  }
}

/**
 * Raised by a snapshot's byte stream when its cached bytes were pruned while it was read (the
 * list moved on and the cache's grace for old versions ran out). Found before the answer starts
 * (the first chunk is read first), the lane gets a 503 `snapshot_gone`; later, the connection is
 * cut short of its `Content-Length`: never a complete 200. Either way the lane asks again.
 */
export class SnapshotGoneError extends HttpError {
  constructor(list: ListName, version: number) {
    super(503, 'snapshot_gone', `the ${list} snapshot at version ${version} is no longer cached; ask again`);
    this.name = 'SnapshotGoneError';
  }
}

/** What one snapshot build took. */
export interface SnapshotBuildStats {
  readonly list: ListName;
  readonly entries: number;
  /** From the start of the build to the snapshot in place, wall ms. */
  readonly ms: number;
  /** The longest stretch it ran without giving the event loop a turn: wall ms, and CPU ms of the process. */
  readonly longestSliceMs: number;
  readonly longestSliceCpuMs: number;
}

/** The strong ETag of a snapshot: its SHA-256 digest (hex), quoted. The same bytes, the same tag, on any server. */
export function snapshotEtag(digest: string): string {
  return `"${digest}"`;
}

/** The stats of a build started at `started` (performance.now()) whose time slices are `slice`. */
export function buildStats(
  list: ListName,
  entries: number,
  started: number,
  slice: TimeSlice,
): SnapshotBuildStats {
  return {
    list,
    entries,
    ms: performance.now() - started,
    longestSliceMs: slice.longestMs,
    longestSliceCpuMs: slice.longestCpuMs,
  };
}

/** A list read for one snapshot: its header, its keyed entries, and where each class read sits in the header. */
export interface CollectedSnapshot {
  readonly version: number;
  readonly header: SnapshotHeader;
  readonly entries: KeyedEntries;
  /** Class index as read → index in the header. */
  readonly classOf: Uint32Array;
  /** Entries found valid everywhere and at the snapshot's checkpoint only (health: all in `everywhere`). */
  readonly found: { readonly everywhere: number; readonly here: number };
}

interface ClassSeen {
  readonly row: SnapshotClassRow;
  n: number;
  /** The smallest index key among its entries (signed high and unsigned low 32 bits), when the source gives keys. */
  hi: number;
  lo: number;
}

const bigintOrNull = (v: number | null): bigint | null => (v === null ? null : BigInt(v));

/**
 * Takes a list's rows one at a time, as the engine reads them: keys each entry with the lane's
 * list key and counts its attribute class. Classes go in the header most used first; between
 * classes used equally often, the one whose smallest index key is smaller comes first (when the
 * source gives keys), else the one read first. SQLite reads its rowid tables in ascending key
 * order, so both rules give the same header, whatever order another engine reads its rows in.
 */
export class SnapshotCollector {
  readonly entries: KeyedEntries;
  readonly #ids = new Map<string, number>();
  readonly #classes: ClassSeen[] = [];

  constructor(
    readonly list: ListName,
    /** The checkpoint the snapshot is cut for ('' for health). */
    readonly scope: string,
    listKey: Uint8Array,
  ) {
    this.entries = new KeyedEntries(listKey);
  }

  /**
   * Adds one row: its raw subject and class columns `a, b, c, s` (`SnapshotRules.classColumns`),
   * and optionally its index key's signed high and unsigned low 32 bits. Returns true when this
   * filled a run of entries (the caller may then sort it, in time slices: `entries.sortRuns`).
   */
  add(subject: string, a: string, b: number | null, c: number | null, s: number, hi = 0, lo = 0): boolean {
    const id = `${a}|${b}|${c}|${s}`;
    let index = this.#ids.get(id);
    let seen: ClassSeen;
    if (index === undefined) {
      index = this.#classes.length;
      this.#ids.set(id, index);
      seen = { row: { a, b: bigintOrNull(b), c: bigintOrNull(c), s: BigInt(s) }, n: 0, hi, lo };
      this.#classes.push(seen);
    } else {
      seen = this.#classes[index] as ClassSeen;
      if (hi < seen.hi || (hi === seen.hi && lo < seen.lo)) {
        seen.hi = hi;
        seen.lo = lo;
      }
    }
    seen.n++;
    return this.entries.add(subject, index);
  }

  /** The header at `version` and the entries, once every row is in. */
  finish(version: number): CollectedSnapshot {
    const classes = this.#classes;
    const order = classes
      .map((_, i) => i)
      .sort((x, y) => {
        const cx = classes[x] as ClassSeen;
        const cy = classes[y] as ClassSeen;
        return cy.n - cx.n || cx.hi - cy.hi || cx.lo - cy.lo || x - y;
      });
    const classOf = new Uint32Array(classes.length);
    order.forEach((c, rank) => (classOf[c] = rank));
    let everywhere = 0;
    let here = 0;
    for (const { row, n } of classes) {
      if (row.s === 0n) everywhere += n;
      else if (row.s === 1n) here += n;
    }
    const header = listKind(this.list).snapshot.header(
      version,
      this.entries.length,
      this.scope,
      order.map((c) => (classes[c] as ClassSeen).row),
    );
    return { version, header, entries: this.entries, classOf, found: { everywhere, here } };
  }
}

/**
 * Encodes collected entries in ascending key order and hands the bytes to `write` in order, at
 * each return to the event loop and at the end (so at most a slice's worth is held), hashing
 * them on the way. Throws `KeyCollisionError` on two equal keys.
 */
export async function encodeCollected(
  collected: CollectedSnapshot,
  slice: TimeSlice,
  write: (chunk: Uint8Array) => void | Promise<void>,
): Promise<{ size: number; digest: string }> {
  const encoder = new SnapshotEncoder(collected.header, 1 << 18);
  const hash = createHash('sha256');
  const parts: Uint8Array[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    for (const chunk of parts.splice(0)) {
      hash.update(chunk);
      size += chunk.length;
      await write(chunk);
    }
  };
  const classOf = collected.classOf;
  await collected.entries.merge(
    (key, cls) => {
      const chunk = encoder.add(key, classOf[cls] as number);
      if (chunk) parts.push(chunk);
    },
    slice,
    flush,
  );
  parts.push(encoder.finish());
  slice.end();
  await flush();
  return { size, digest: hash.digest('hex') };
}

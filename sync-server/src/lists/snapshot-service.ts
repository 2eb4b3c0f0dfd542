import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LIST_NAMES, SnapshotEncoder, type ListName, type SnapshotHeader } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { ListCounts } from './list-counts.js';
import type { ListKey } from './list-keys.js';
import { listKind, type SnapshotClassRow } from './list-kinds.js';
import { KeyedEntries, TimeSlice } from './rekey.js';

/** A built snapshot: in memory (tests, `:memory:` databases) or a file in the cache dir. */
export interface BuiltSnapshot {
  readonly list: ListName;
  readonly version: number;
  /** The checkpoint it is cut for ('' for a list that is the same at every checkpoint: health). */
  readonly checkpointId: string;
  /** The list key its entries are keyed with, and that key's scope. */
  readonly keyId: number;
  readonly keyScope: string;
  readonly size: number;
  readonly etag: string;
  readonly file: string | null;
  readonly bytes: Uint8Array | null;
  /** Entries it holds: what the lane holds once it is applied (the signed count). */
  readonly count: number;
  /** SHA-256 (hex) of its exact bytes (the signed digest). */
  readonly digest: string;
}

/** What a cached snapshot file's `.sum` companion holds (written with it, read instead of re-hashing). */
interface SnapshotSum {
  readonly count: number;
  readonly digest: string;
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

function buildStats(
  list: ListName,
  entries: number,
  started: number,
  slices: { longestMs: number; longestCpuMs: number },
): SnapshotBuildStats {
  return {
    list,
    entries,
    ms: performance.now() - started,
    longestSliceMs: slices.longestMs,
    longestSliceCpuMs: slices.longestCpuMs,
  };
}

/** The longest slices so far, once the current one is ended. */
function endSlices(slice: TimeSlice): { longestMs: number; longestCpuMs: number } {
  slice.end();
  return { longestMs: slice.longestMs, longestCpuMs: slice.longestCpuMs };
}

const SUM_SUFFIX = '.sum';

/** Rows read between two looks at the build's time slice. */
const CHECK_ROWS = 512;

/**
 * Builds list snapshots in the binary format (`snapshot-format.md`) and caches them per
 * (list, version, checkpoint, list key): a snapshot is immutable once built, so lanes can resume
 * it with a Range request. Each entry is keyed with the lane's list key from its raw subject (the
 * tables are keyed with the index key, which lanes never get), then the keys are sorted
 * (`KeyedEntries`). Builds read from their own read-only connection inside one read transaction
 * (a consistent version) and give the event loop a turn every few milliseconds.
 */
export class SnapshotService {
  private readonly building = new Map<string, Promise<BuiltSnapshot>>();
  private readonly memoryCache = new Map<string, BuiltSnapshot>();
  private readonly counts: ListCounts;
  #lastBuild: SnapshotBuildStats | null = null;

  constructor(
    private readonly db: Db,
    private readonly cacheDir: string | null,
  ) {
    this.counts = new ListCounts(db);
    if (cacheDir !== null) {
      mkdirSync(cacheDir, { recursive: true });
      // Snapshots cached by an older server (named without a list key) are keyed with the index
      // key or unscoped: never served again.
      for (const f of readdirSync(cacheDir))
        if (LIST_NAMES.some((l) => f.startsWith(`${l}-`)) && !f.includes(KEY_MARK))
          rmSync(join(cacheDir, f), { force: true });
    }
  }

  /** What the last finished build took (null before the first). */
  get lastBuild(): SnapshotBuildStats | null {
    return this.#lastBuild;
  }

  /** The snapshot of a list at its current version, as a lane at `checkpointId` holding `key` gets it. */
  async current(list: ListName, checkpointId: string, key: ListKey): Promise<BuiltSnapshot> {
    const scope = listKind(list).snapshot.scoped ? checkpointId : '';
    const version = this.db
      .prepare('SELECT version FROM list_state WHERE list = ?')
      .pluck()
      .get(list) as number;
    const id = `${list}-${version}-${scope}-${key.id}`;
    const cached = this.memoryCache.get(id) ?? this.fromFile(list, version, scope, key);
    if (cached) return cached;
    let p = this.building.get(id);
    if (!p) {
      p = this.build(list, scope, key).finally(() => this.building.delete(id));
      this.building.set(id, p);
    }
    return p;
  }

  private fromFile(list: ListName, version: number, scope: string, key: ListKey): BuiltSnapshot | null {
    if (this.cacheDir === null) return null;
    const file = join(this.cacheDir, fileName(list, scope, key, version));
    try {
      const size = statSync(file).size;
      // A file cached without its sum is built again.
      const sum = JSON.parse(readFileSync(`${file}${SUM_SUFFIX}`, 'utf8')) as SnapshotSum;
      if (!Number.isInteger(sum.count) || typeof sum.digest !== 'string') return null;
      return {
        list,
        version,
        checkpointId: scope,
        keyId: key.id,
        keyScope: key.scope,
        size,
        etag: etag(list, version, scope, key),
        file,
        bytes: null,
        count: sum.count,
        digest: sum.digest,
      };
    } catch {
      return null;
    }
  }

  private async build(list: ListName, scope: string, key: ListKey): Promise<BuiltSnapshot> {
    const slice = new TimeSlice();
    const started = performance.now();
    const useFile = this.cacheDir !== null && !this.db.memory;
    const { version, header, entries, classOf } = await this.read(list, scope, key, useFile, slice);
    const encoder = new SnapshotEncoder(header, 1 << 18);
    const hash = createHash('sha256');
    const parts: Uint8Array[] = [];
    let size = 0;
    const emit = (k: bigint, c: number): void => {
      const chunk = encoder.add(k, classOf[c] as number);
      if (chunk) parts.push(chunk);
    };
    const tag = etag(list, version, scope, key);
    if (!useFile) {
      await entries.merge(emit, slice);
      parts.push(encoder.finish());
      const bytes = Buffer.concat(parts);
      const slices = endSlices(slice);
      hash.update(bytes);
      const built: BuiltSnapshot = {
        list,
        version,
        checkpointId: scope,
        keyId: key.id,
        keyScope: key.scope,
        size: bytes.length,
        etag: tag,
        file: null,
        bytes,
        count: header.count,
        digest: hash.digest('hex'),
      };
      for (const [id, b] of this.memoryCache)
        if (
          b.list === list &&
          b.checkpointId === scope &&
          b.keyScope === key.scope &&
          (b.keyId < key.id || (b.keyId === key.id && b.version < version))
        )
          this.memoryCache.delete(id);
      this.memoryCache.set(`${list}-${version}-${scope}-${key.id}`, built);
      this.#lastBuild = buildStats(list, header.count, started, slices);
      return built;
    }
    const dir = this.cacheDir;
    const name = fileName(list, scope, key, version);
    const tmp = join(dir, `${name}.${process.pid}.${Date.now()}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    const flush = async (): Promise<void> => {
      for (const chunk of parts.splice(0)) {
        hash.update(chunk);
        await writeAll(fh, chunk);
        size += chunk.length;
      }
    };
    let slices: { longestMs: number; longestCpuMs: number };
    try {
      await entries.merge(emit, slice, flush);
      parts.push(encoder.finish());
      slices = endSlices(slice);
      await flush();
      await fh.sync();
    } catch (e) {
      await fh.close();
      rmSync(tmp, { force: true });
      throw e;
    }
    await fh.close();
    const sum: SnapshotSum = { count: header.count, digest: hash.digest('hex') };
    // The sum first: a snapshot file is only served with its sum beside it.
    await writeFile(join(dir, `${name}${SUM_SUFFIX}`), JSON.stringify(sum), { mode: 0o600 });
    await rename(tmp, join(dir, name));
    this.removeOlder(list, scope, key, version);
    this.#lastBuild = buildStats(list, header.count, started, slices);
    return {
      list,
      version,
      checkpointId: scope,
      keyId: key.id,
      keyScope: key.scope,
      size,
      etag: tag,
      file: join(dir, name),
      bytes: null,
      ...sum,
    };
  }

  /**
   * Reads the list at one version in one read transaction and keys every entry with `key`; the
   * entries' attribute classes are collected on the way (most used first, as the header lists
   * them: `classOf` maps an entry's class as read to its place there). With its own connection (a
   * file database) it gives the event loop turns while it reads; on the shared connection
   * (`:memory:`) it reads in one go, as another statement cannot run on that connection while a
   * read is open.
   */
  private async read(
    list: ListName,
    scope: string,
    key: ListKey,
    own: boolean,
    slice: TimeSlice,
  ): Promise<{ version: number; header: SnapshotHeader; entries: KeyedEntries; classOf: Uint32Array }> {
    const conn = own ? new Database(this.db.name, { readonly: true, fileMustExist: true }) : this.db;
    try {
      if (own) conn.exec('BEGIN');
      const version = conn
        .prepare('SELECT version FROM list_state WHERE list = ?')
        .pluck()
        .get(list) as number;
      const { table, snapshot } = listKind(list);
      // Rows as arrays of plain values (no object or bigint per row: 10M rows make garbage).
      const rows = conn
        .prepare(`SELECT subject, ${snapshot.classColumns} FROM ${table} ${snapshot.where}`)
        .raw(true)
        .iterate({ cp: scope }) as Iterable<SnapRow>;
      const entries = new KeyedEntries(key.key);
      const ids = new Map<string, number>();
      const classes: { row: SnapshotClassRow; n: number }[] = [];
      let n = 0;
      for (const [subject, a, b, cc, sc] of rows) {
        const id = `${a}|${b}|${cc}|${sc}`;
        let c = ids.get(id);
        if (c === undefined) {
          c = classes.length;
          ids.set(id, c);
          classes.push({ row: { a, b: bigintOrNull(b), c: bigintOrNull(cc), s: BigInt(sc) }, n: 0 });
        }
        (classes[c] as { n: number }).n++;
        if (entries.add(subject, c) && own) await entries.sortRuns(slice);
        if (own && ++n % CHECK_ROWS === 0 && slice.due()) await slice.pause();
      }
      // Most used first (1-byte indexes for the common classes); ties in the order first read.
      const order = classes.map((_, i) => i).sort((x, y) => (classes[y]?.n ?? 0) - (classes[x]?.n ?? 0));
      const classOf = new Uint32Array(classes.length);
      order.forEach((c, rank) => (classOf[c] = rank));
      const found = { everywhere: 0, here: 0 };
      for (const { row, n: cnt } of classes) {
        if (row.s === 0n) found.everywhere += cnt;
        else if (row.s === 1n) found.here += cnt;
      }
      const header = snapshot.header(
        version,
        entries.length,
        scope,
        order.map((c) => (classes[c] as { row: SnapshotClassRow }).row),
      );
      if (own) {
        conn.exec('COMMIT');
        conn.close();
      }
      // The signed counts come from list_counts: a count this build finds different is put right.
      this.counts.correct(list, version, scope, found);
      return { version, header, entries, classOf };
    } finally {
      if (own && conn.open) {
        if (conn.inTransaction) conn.exec('COMMIT');
        conn.close();
      }
    }
  }

  /** Removes this file's older versions and the files of the scope's older keys. */
  private removeOlder(list: ListName, scope: string, key: ListKey, version: number): void {
    if (this.cacheDir === null) return;
    const prefix = filePrefix(list, scope, key.scope);
    for (const f of readdirSync(this.cacheDir)) {
      if (!f.startsWith(prefix)) continue;
      const m = /^(\d+)-(\d+)\.snap(?:\.sum)?$/.exec(f.slice(prefix.length));
      if (!m) continue;
      const keyId = Number(m[1]);
      const v = Number(m[2]);
      // Keep the previous version a little longer: a lane may be resuming it.
      if (keyId < key.id || (keyId === key.id && v < version - 1))
        rmSync(join(this.cacheDir, f), { force: true });
    }
  }
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await fh.write(chunk, done)).bytesWritten;
}

/**
 * Whitelist snapshots hold only the entries that apply at their checkpoint (`@` and the
 * checkpoint in the name); every snapshot names its key scope and list key (`+scope+k{id}`).
 * Neither checkpoint ids nor scopes may hold `+`, so a name reads back one way only.
 */
const SCOPE_MARK = '@';
const KEY_MARK = '+';

function scopeTag(list: ListName, scope: string): string {
  return listKind(list).snapshot.scoped ? `${SCOPE_MARK}${scope}` : '';
}

function filePrefix(list: ListName, scope: string, keyScope: string): string {
  const tag = scopeTag(list, scope);
  return `${list}-${tag === '' ? '_' : tag}${KEY_MARK}${keyScope}${KEY_MARK}k`;
}

function fileName(list: ListName, scope: string, key: ListKey, version: number): string {
  return `${filePrefix(list, scope, key.scope)}${key.id}-${version}.snap`;
}

function etag(list: ListName, version: number, scope: string, key: ListKey): string {
  return `"${list}-${version}-${scopeTag(list, scope)}-k${key.id}"`;
}

/** A row as read: subject, then the class columns `a, b, c, s` (times as numbers: epoch ms fit). */
type SnapRow = [subject: string, a: string, b: number | null, c: number | null, s: number];

const bigintOrNull = (v: number | null): bigint | null => (v === null ? null : BigInt(v));

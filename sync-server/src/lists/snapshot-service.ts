import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LIST_NAMES, type ListName } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { ListCounts } from './list-counts.js';
import type { ListKey } from './list-keys.js';
import { listKind } from './list-kinds.js';
import { TimeSlice } from './rekey.js';
import {
  buildStats,
  encodeCollected,
  snapshotEtag,
  SnapshotCollector,
  type BuiltSnapshot,
  type CollectedSnapshot,
  type SnapshotBuildStats,
} from './snapshot-build.js';

export type { BuiltSnapshot, SnapshotBuildStats } from './snapshot-build.js';

/** What a cached snapshot file's `.sum` companion holds (written with it, read instead of re-hashing). */
interface SnapshotSum {
  readonly count: number;
  readonly digest: string;
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
        etag: snapshotEtag(sum.digest),
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
    const collected = await this.read(list, scope, key, useFile, slice);
    const { version, header } = collected;
    const facts = {
      list,
      version,
      checkpointId: scope,
      keyId: key.id,
      keyScope: key.scope,
      count: header.count,
    };
    if (!useFile) {
      const parts: Uint8Array[] = [];
      const { digest } = await encodeCollected(collected, slice, (chunk) => {
        parts.push(chunk);
      });
      const bytes = Buffer.concat(parts);
      const built: BuiltSnapshot = {
        ...facts,
        size: bytes.length,
        etag: snapshotEtag(digest),
        file: null,
        bytes,
        digest,
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
      this.#lastBuild = buildStats(list, header.count, started, slice);
      return built;
    }
    const dir = this.cacheDir;
    const name = fileName(list, scope, key, version);
    const tmp = join(dir, `${name}.${process.pid}.${Date.now()}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    let written: { size: number; digest: string };
    try {
      written = await encodeCollected(collected, slice, (chunk) => writeAll(fh, chunk));
      await fh.sync();
    } catch (e) {
      await fh.close();
      rmSync(tmp, { force: true });
      throw e;
    }
    await fh.close();
    const sum: SnapshotSum = { count: header.count, digest: written.digest };
    // The sum first: a snapshot file is only served with its sum beside it.
    await writeFile(join(dir, `${name}${SUM_SUFFIX}`), JSON.stringify(sum), { mode: 0o600 });
    await rename(tmp, join(dir, name));
    this.removeOlder(list, scope, key, version);
    this.#lastBuild = buildStats(list, header.count, started, slice);
    return {
      ...facts,
      size: written.size,
      etag: snapshotEtag(written.digest),
      file: join(dir, name),
      bytes: null,
      digest: written.digest,
    };
  }

  /**
   * Reads the list at one version in one read transaction into a `SnapshotCollector` (each entry
   * keyed with `key`, its class counted). With its own connection (a file database) it gives the
   * event loop turns while it reads; on the shared connection (`:memory:`) it reads in one go, as
   * another statement cannot run on that connection while a read is open.
   */
  private async read(
    list: ListName,
    scope: string,
    key: ListKey,
    own: boolean,
    slice: TimeSlice,
  ): Promise<CollectedSnapshot> {
    const conn = own ? new Database(this.db.name, { readonly: true, fileMustExist: true }) : this.db;
    try {
      if (own) conn.exec('BEGIN');
      const version = conn
        .prepare('SELECT version FROM list_state WHERE list = ?')
        .pluck()
        .get(list) as number;
      const { table, snapshot } = listKind(list);
      // Rows as arrays of plain values (no object or bigint per row: 10M rows make garbage), in
      // rowid (= index key) order.
      const rows = conn
        .prepare(`SELECT subject, ${snapshot.classColumns} FROM ${table} ${snapshot.where}`)
        .raw(true)
        .iterate({ cp: scope }) as Iterable<SnapRow>;
      const collector = new SnapshotCollector(list, scope, key.key);
      let n = 0;
      for (const [subject, a, b, cc, sc] of rows) {
        if (collector.add(subject, a, b, cc, sc) && own) await collector.entries.sortRuns(slice);
        if (own && ++n % CHECK_ROWS === 0 && slice.due()) await slice.pause();
      }
      const collected = collector.finish(version);
      if (own) {
        conn.exec('COMMIT');
        conn.close();
      }
      // The signed counts come from list_counts: a count this build finds different is put right.
      this.counts.correct(list, version, scope, collected.found);
      return collected;
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

/** A row as read: subject, then the class columns `a, b, c, s` (times as numbers: epoch ms fit). */
type SnapRow = [subject: string, a: string, b: number | null, c: number | null, s: number];

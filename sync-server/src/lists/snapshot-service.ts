import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LIST_NAMES, SnapshotEncoder, type ListName, type SnapshotHeader } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { ListCounts } from './list-counts.js';
import { listKind, type SnapshotClassRow } from './list-kinds.js';

/** A built snapshot: in memory (tests, `:memory:` databases) or a file in the cache dir. */
export interface BuiltSnapshot {
  readonly list: ListName;
  readonly version: number;
  readonly checkpointId: string;
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

const SUM_SUFFIX = '.sum';

const PAGE = 20_000;

/**
 * Builds list snapshots in the binary format (`snapshot-format.md`) and caches them per
 * (list, version, checkpoint): a snapshot is immutable once built, so lanes can resume it
 * with a Range request. Builds read from their own read-only connection inside one read
 * transaction (a consistent version) and yield to the event loop between pages.
 */
export class SnapshotService {
  private readonly building = new Map<string, Promise<BuiltSnapshot>>();
  private readonly memoryCache = new Map<string, BuiltSnapshot>();
  private readonly counts: ListCounts;

  constructor(
    private readonly db: Db,
    private readonly cacheDir: string | null,
  ) {
    this.counts = new ListCounts(db);
    if (cacheDir !== null) {
      mkdirSync(cacheDir, { recursive: true });
      // Unscoped snapshots of a scoped list (the whitelist) cached by an older server: never served again.
      const scoped = LIST_NAMES.filter((l) => listKind(l).snapshot.scoped);
      for (const f of readdirSync(cacheDir))
        if (scoped.some((l) => f.startsWith(`${l}-`) && !f.startsWith(`${l}-${SCOPE_MARK}`)))
          rmSync(join(cacheDir, f), { force: true });
    }
  }

  /** The snapshot of a list at its current version, as a lane at `checkpointId` sees it. */
  async current(list: ListName, checkpointId: string): Promise<BuiltSnapshot> {
    const scope = listKind(list).snapshot.scoped ? checkpointId : '';
    const version = this.db
      .prepare('SELECT version FROM list_state WHERE list = ?')
      .pluck()
      .get(list) as number;
    const id = `${list}-${version}-${scope}`;
    const cached = this.memoryCache.get(id) ?? this.fromFile(list, version, scope);
    if (cached) return cached;
    let p = this.building.get(id);
    if (!p) {
      p = this.build(list, scope).finally(() => this.building.delete(id));
      this.building.set(id, p);
    }
    return p;
  }

  private fileName(list: ListName, version: number, scope: string): string {
    return `${filePrefix(list, scope)}${version}.snap`;
  }

  private fromFile(list: ListName, version: number, scope: string): BuiltSnapshot | null {
    if (this.cacheDir === null) return null;
    const file = join(this.cacheDir, this.fileName(list, version, scope));
    try {
      const size = statSync(file).size;
      // A file cached without its sum (an older server's) is built again.
      const sum = JSON.parse(readFileSync(`${file}${SUM_SUFFIX}`, 'utf8')) as SnapshotSum;
      if (!Number.isInteger(sum.count) || typeof sum.digest !== 'string') return null;
      return {
        list,
        version,
        checkpointId: scope,
        size,
        etag: etag(list, version, scope),
        file,
        bytes: null,
        count: sum.count,
        digest: sum.digest,
      };
    } catch {
      return null;
    }
  }

  private async build(list: ListName, scope: string): Promise<BuiltSnapshot> {
    const useFile = this.cacheDir !== null && !this.db.memory;
    const conn = useFile ? new Database(this.db.name, { readonly: true, fileMustExist: true }) : this.db;
    const own = conn !== this.db;
    try {
      if (own) conn.exec('BEGIN');
      const version = conn
        .prepare('SELECT version FROM list_state WHERE list = ?')
        .pluck()
        .get(list) as number;
      const { header, classOf, rows, found } = prepare(conn, list, scope, version);
      // The signed counts come from list_counts: a count this build finds different is put right.
      this.counts.correct(list, version, scope, found);
      const encoder = new SnapshotEncoder(header, 1 << 18);
      const hash = createHash('sha256');
      if (!useFile) {
        const parts: Uint8Array[] = [];
        for (const r of rows) {
          const chunk = encoder.add(r.k, classOf(r));
          if (chunk) parts.push(chunk);
        }
        parts.push(encoder.finish());
        const bytes = Buffer.concat(parts);
        hash.update(bytes);
        const built: BuiltSnapshot = {
          list,
          version,
          checkpointId: scope,
          size: bytes.length,
          etag: etag(list, version, scope),
          file: null,
          bytes,
          count: header.count,
          digest: hash.digest('hex'),
        };
        for (const [k, b] of this.memoryCache)
          if (b.list === list && b.checkpointId === scope) this.memoryCache.delete(k);
        this.memoryCache.set(`${list}-${version}-${scope}`, built);
        return built;
      }
      const dir = this.cacheDir;
      const name = this.fileName(list, version, scope);
      const tmp = join(dir, `${name}.${process.pid}.${Date.now()}.tmp`);
      const fh = await open(tmp, 'w', 0o600);
      let size = 0;
      try {
        let n = 0;
        for (const r of rows) {
          const chunk = encoder.add(r.k, classOf(r));
          if (chunk) {
            hash.update(chunk);
            await fh.write(chunk);
            size += chunk.length;
          }
          if (++n % PAGE === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        const last = encoder.finish();
        hash.update(last);
        await fh.write(last);
        size += last.length;
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sum: SnapshotSum = { count: header.count, digest: hash.digest('hex') };
      // The sum first: a snapshot file is only served with its sum beside it.
      await writeFile(join(dir, `${name}${SUM_SUFFIX}`), JSON.stringify(sum), { mode: 0o600 });
      await rename(tmp, join(dir, name));
      this.removeOlder(list, scope, version);
      return {
        list,
        version,
        checkpointId: scope,
        size,
        etag: etag(list, version, scope),
        file: join(dir, name),
        bytes: null,
        ...sum,
      };
    } finally {
      if (own) {
        if (conn.inTransaction) conn.exec('COMMIT');
        conn.close();
      }
    }
  }

  private removeOlder(list: ListName, scope: string, version: number): void {
    if (this.cacheDir === null) return;
    const prefix = filePrefix(list, scope);
    for (const f of readdirSync(this.cacheDir)) {
      const base = f.endsWith(SUM_SUFFIX) ? f.slice(0, -SUM_SUFFIX.length) : f;
      if (!f.startsWith(prefix) || !base.endsWith('.snap')) continue;
      const v = Number(base.slice(prefix.length, -'.snap'.length));
      // Keep the previous version a little longer: a lane may be resuming it.
      if (Number.isInteger(v) && v < version - 1) rmSync(join(this.cacheDir, f), { force: true });
    }
  }
}

/**
 * Whitelist snapshots hold only the entries that apply at their checkpoint since cache
 * format "@": the marker keeps an older server's cached file (every entry, same list, version
 * and checkpoint) from being served, or resumed with If-Range, as if it were the same bytes.
 */
const SCOPE_MARK = '@';

function scopeTag(list: ListName, scope: string): string {
  return listKind(list).snapshot.scoped ? `${SCOPE_MARK}${scope}` : '';
}

function filePrefix(list: ListName, scope: string): string {
  const tag = scopeTag(list, scope);
  return `${list}-${tag === '' ? '_' : tag}-`;
}

function etag(list: ListName, version: number, scope: string): string {
  return `"${list}-${version}-${scopeTag(list, scope)}"`;
}

interface SnapRow extends SnapshotClassRow {
  k: bigint;
}

function prepare(
  conn: Db,
  list: ListName,
  scope: string,
  version: number,
): {
  header: SnapshotHeader;
  classOf: (r: SnapRow) => number;
  rows: Iterable<SnapRow>;
  /** Entries valid everywhere (scope 0: the whole health list) and at this checkpoint only (scope 1). */
  found: { everywhere: number; here: number };
} {
  const { table, snapshot } = listKind(list);
  const cols = snapshot.classColumns;
  const classRows = conn
    .prepare(
      `SELECT ${cols}, count(*) AS cnt FROM ${table} ${snapshot.where} GROUP BY 1, 2, 3, 4 ORDER BY cnt DESC`,
    )
    .safeIntegers(true)
    .all({ cp: scope }) as (SnapshotClassRow & { cnt: bigint })[];
  const index = new Map<string, number>();
  const keyOf = (r: SnapshotClassRow): string => `${r.a}|${r.b}|${r.c}|${r.s}`;
  classRows.forEach((r, i) => index.set(keyOf(r), i));
  const count = classRows.reduce((sum, r) => sum + Number(r.cnt), 0);
  const found = { everywhere: 0, here: 0 };
  for (const r of classRows) {
    if (r.s === 0n) found.everywhere += Number(r.cnt);
    else if (r.s === 1n) found.here += Number(r.cnt);
  }
  const header = snapshot.header(version, count, scope, classRows);
  const rows = conn
    .prepare(`SELECT subject_key AS k, ${cols} FROM ${table} ${snapshot.where} ORDER BY subject_key`)
    .safeIntegers(true)
    .iterate({ cp: scope }) as Iterable<SnapRow>;
  const classOf = (r: SnapRow): number => {
    const i = index.get(keyOf(r));
    if (i === undefined) throw new Error('snapshot row without a class (list changed during the read?)');
    return i;
  };
  return { header, classOf, rows, found };
}

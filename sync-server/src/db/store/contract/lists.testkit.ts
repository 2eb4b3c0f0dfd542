// The list stores of one engine for the contract tests (lists, list writer, the lane's delta),
// with a few engine-neutral looks at the tables a write touches.
import type { ListName } from '@checkpoint-lane/shared';
import type { HealthRow, WhitelistRow } from '../../../lists/list-rows.js';
import type { ListWriteMeta } from '../../../lists/list-writer.js';
import { PgListWriterStore } from '../../pg/stores/pg-list-writer.js';
import { PgListsStore } from '../../pg/stores/pg-lists.js';
import type { EngineDb } from '../engines.testkit.js';
import { openSqliteStore } from '../sqlite-store.js';
import type { LaneChanges, ListsStore, ListWriterStore } from '../store.js';

/** Engine-neutral reads of the tables behind the list stores. */
export interface Peek {
  /** Rows of `sql` (`?` placeholders; write SQL both engines read the same way). */
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Runs statements (engine-specific text). */
  exec(sqlite: string, postgres: string): Promise<void>;
  /** Every change-log row, by list, version, key. */
  changes(list?: ListName): Promise<{ list: string; version: number; key: bigint; subject: string | null }[]>;
  /** The versions of the list's history rows, ascending. */
  versions(list: ListName): Promise<number[]>;
  /** Every audit record, oldest first, details parsed. */
  audit(): Promise<{ at: number; actor: string; action: string; target: string | null; details: unknown }[]>;
  /** The subject keys of a list's entries, ascending. */
  keys(list: ListName): Promise<bigint[]>;
  /** The entries a lane at `cp` holds, counted from the entry table. */
  realCount(list: ListName, cp: string): Promise<number>;
  /** Makes every audit insert fail ('audit log full'). */
  failAudit(): Promise<void>;
}

/** The list stores of one database. */
export interface ListStores {
  readonly engine: EngineDb['engine'];
  readonly lists: ListsStore;
  readonly writer: ListWriterStore;
  /** `LaneStore.changes`: SQLite's lane store, PostgreSQL's `PgListsStore.laneChanges`. */
  readonly laneChanges: (list: ListName, since: number, checkpointId: string) => Promise<LaneChanges>;
  readonly peek: Peek;
}

const toPg = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** The list stores over a fresh database of either engine. */
export function listStores(d: EngineDb): ListStores {
  let all: Peek['all'];
  let exec: Peek['exec'];
  let base: Omit<ListStores, 'peek'>;
  if (d.engine === 'sqlite') {
    const store = openSqliteStore(d.db, { indexKey: Buffer.alloc(32, 7), clock: () => 0 });
    all = <T>(sql: string, ...params: unknown[]) => Promise.resolve(d.db.prepare(sql).all(...params) as T[]);
    exec = (sqlite) => {
      d.db.exec(sqlite);
      return Promise.resolve();
    };
    base = {
      engine: 'sqlite',
      lists: store.lists,
      writer: store.listWriter,
      laneChanges: (list, since, cp) => store.lane.changes(list, since, cp),
    };
  } else {
    const lists = new PgListsStore(d.pool);
    all = async <T>(sql: string, ...params: unknown[]) => (await d.pool.query(toPg(sql), params)).rows as T[];
    exec = async (_sqlite, postgres) => {
      await d.pool.query(postgres);
    };
    base = {
      engine: 'postgres',
      lists,
      writer: new PgListWriterStore(d.pool),
      laneChanges: (list, since, cp) => lists.laneChanges(list, since, cp),
    };
  }
  const peek: Peek = {
    all,
    exec,
    changes: async (list) =>
      (
        await all<{ list: string; version: number; key: string; subject: string | null }>(
          `SELECT list, version, CAST(subject_key AS TEXT) AS key, subject FROM list_changes
           ${list ? 'WHERE list = ?' : ''} ORDER BY list, version, subject_key`,
          ...(list ? [list] : []),
        )
      ).map((r) => ({ ...r, key: BigInt(r.key) })),
    versions: async (list) =>
      (
        await all<{ version: number }>(
          'SELECT version FROM list_versions WHERE list = ? ORDER BY version',
          list,
        )
      ).map((r) => r.version),
    audit: async () =>
      (
        await all<{ at: number; actor: string; action: string; target: string | null; details: unknown }>(
          'SELECT at, actor, action, target, details FROM audit_log ORDER BY id',
        )
      ).map((r) => ({
        ...r,
        details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
      })),
    keys: async (list) =>
      (
        await all<{ k: string }>(
          `SELECT CAST(subject_key AS TEXT) AS k FROM ${list === 'health' ? 'health_entries' : 'whitelist_entries'} ORDER BY subject_key`,
        )
      ).map((r) => BigInt(r.k)),
    realCount: async (list, cp) => {
      const sql =
        list === 'health'
          ? 'SELECT count(*) AS n FROM health_entries'
          : d.engine === 'sqlite'
            ? `SELECT count(*) AS n FROM whitelist_entries WHERE checkpoints IS NULL OR instr(checkpoints, ';' || ? || ';') > 0`
            : 'SELECT count(*) AS n FROM whitelist_entries WHERE checkpoints IS NULL OR checkpoints @> ARRAY[?::text]';
      return (await all<{ n: number }>(sql, ...(list === 'health' ? [] : [cp])))[0]?.n ?? -1;
    },
    failAudit: () =>
      exec(
        `CREATE TRIGGER audit_full BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log full'); END`,
        `CREATE FUNCTION audit_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log full'; END $$;
         CREATE TRIGGER audit_full BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_full();`,
      ),
  };
  return { ...base, peek };
}

/** A health row of `key` (its subject made from the key). */
export const health = (
  key: bigint,
  status: HealthRow['status'] = 'F0',
  since: number | null = null,
  name: string | null = null,
): HealthRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  status,
  since,
  until: null,
  name,
  note: null,
});

/** A whitelist row of `key` valid at `checkpoints` (null: everywhere). */
export const whitelist = (
  key: bigint,
  checkpoints: string[] | null,
  extra: Partial<WhitelistRow> = {},
): WhitelistRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  category: 'shipper',
  validFrom: 10,
  validUntil: null,
  checkpoints,
  name: null,
  note: 'n',
  ...extra,
});

/** A write's meta: an import by alice at `now`. */
export const meta = (now: number, extra: Partial<ListWriteMeta> = {}): ListWriteMeta => ({
  now,
  actor: 'alice',
  action: 'list.import',
  ...extra,
});

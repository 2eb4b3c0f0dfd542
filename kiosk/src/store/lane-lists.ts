import { LIST_NAMES, type ListName } from '@checkpoint-lane/shared';
import type Database from 'better-sqlite3';
import {
  LIST_DESCRIPTORS,
  type LaneEntry,
  type LaneListChange,
  type ListCell,
  type ListEntry,
} from './list-descriptors.js';

/** What the lane knows of a list's freshness. */
export interface ListState {
  readonly version: number;
  readonly syncedAt: number | null;
}

/** A list being replaced from a snapshot: rows go to a shadow table, swapped in by `commit`. */
export interface ListReplacement<E> {
  add(entries: readonly E[]): void;
  /** Entries in the shadow table so far (counted by SQLite: what the list holds once committed). */
  count(): number;
  /**
   * Swaps the shadow table in, in one transaction with the new version and the id of the list
   * key its entries are keyed with (0: the fleet-wide key of servers before key scopes).
   */
  commit(version: number, syncedAt: number, keyId?: number): void;
  abort(): void;
}

/** The settings row holding a list's number of entries (kept with every write, never recounted). */
const COUNT_SETTING = (list: ListName): string => `list_entries:${list}`;
/** The settings row holding the newest version whose urgent entries were overlaid ahead of their delta. */
const OVERLAY_SETTING = (list: ListName): string => `list_overlay_until:${list}`;

const SHADOW_SUFFIX = '_next';

interface ListStatements {
  readonly lookup: Database.Statement<[bigint]>;
  readonly exists: Database.Statement<[bigint]>;
  readonly put: Database.Statement<[bigint, ...ListCell[]]>;
  readonly remove: Database.Statement<[bigint]>;
}

/** `INSERT OR REPLACE` of one row of a list into `table` (the live table or its shadow). */
function putSql(list: ListName, table: string): string {
  const { columns } = LIST_DESCRIPTORS[list];
  return `INSERT OR REPLACE INTO ${table} (key, ${columns.join(', ')}) VALUES (?${', ?'.repeat(columns.length)})`;
}

/**
 * The list tables of the lane's store, one code path for every list (driven by its
 * descriptor): lookups, snapshot replacement through a shadow table, deltas applied on top of
 * the version they were made from, urgent overlays, and each list's version and sync time.
 */
export class LaneLists {
  readonly #db: Database.Database;
  readonly #statements: Readonly<Record<ListName, ListStatements>>;
  readonly #state;
  readonly #states = new Map<ListName, ListState>();
  readonly #counts = new Map<ListName, number>();
  readonly #keyIds = new Map<ListName, number>();
  readonly #setting;

  constructor(db: Database.Database) {
    this.#db = db;
    const statements = (list: ListName): ListStatements => {
      const { table, columns } = LIST_DESCRIPTORS[list];
      return {
        lookup: db.prepare<[bigint]>(`SELECT ${columns.join(', ')} FROM ${table} WHERE key = ?`).raw(true),
        exists: db.prepare<[bigint]>(`SELECT 1 FROM ${table} WHERE key = ?`).pluck(),
        put: db.prepare<[bigint, ...ListCell[]]>(putSql(list, table)),
        remove: db.prepare<[bigint]>(`DELETE FROM ${table} WHERE key = ?`),
      };
    };
    this.#statements = { health: statements('health'), whitelist: statements('whitelist') };
    this.#state = {
      get: db.prepare<[string]>('SELECT version, synced_at AS syncedAt FROM list_state WHERE list = ?'),
      set: db.prepare<[number, number, string]>(
        'UPDATE list_state SET version = ?, synced_at = ? WHERE list = ?',
      ),
      markSynced: db.prepare<[number, string]>('UPDATE list_state SET synced_at = ? WHERE list = ?'),
      reset: db.prepare<[string]>('UPDATE list_state SET version = 0, synced_at = NULL WHERE list = ?'),
      keyId: db.prepare<[string]>('SELECT key_id FROM list_state WHERE list = ?').pluck(),
      setKeyId: db.prepare<[number, string]>('UPDATE list_state SET key_id = ? WHERE list = ?'),
    };
    this.#setting = {
      get: db.prepare<[string]>('SELECT value FROM settings WHERE name = ?').pluck(),
      put: db.prepare<[string, string]>(
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  /** Drops the shadow tables a snapshot interrupted by a crash left behind (the live lists are intact). */
  static dropShadows(db: Database.Database): void {
    for (const list of LIST_NAMES)
      db.exec(`DROP TABLE IF EXISTS ${LIST_DESCRIPTORS[list].table}${SHADOW_SUFFIX}`);
  }

  /** A list's version and last sync time. */
  state(list: ListName): ListState {
    // Read on every scan: kept in memory, refreshed by every write below (one process owns the store).
    let state = this.#states.get(list);
    if (state === undefined) {
      state = this.#state.get.get(list) as ListState;
      this.#states.set(list, state);
    }
    return state;
  }

  /**
   * The id of the list key a list's entries are keyed with (set with its snapshot; 0: the
   * fleet-wide key of servers before key scopes).
   */
  keyId(list: ListName): number {
    // Read on every scan: kept in memory, refreshed by the swap that changes it.
    let id = this.#keyIds.get(list);
    if (id === undefined) {
      id = this.#state.keyId.get(list) as number;
      this.#keyIds.set(list, id);
    }
    return id;
  }

  /** Records a successful sync that found the list already current. */
  markSynced(list: ListName, at: number): void {
    this.#state.markSynced.run(at, list);
    this.#states.delete(list);
  }

  /** The entry of `list` for a subject key, or null. */
  lookup<L extends ListName>(list: L, key: bigint): ListEntry<L> | null {
    const row = this.#statements[list].lookup.get(key) as ListCell[] | undefined;
    return row === undefined ? null : LIST_DESCRIPTORS[list].fromRow(row);
  }

  /**
   * Number of entries in a list: kept in the settings by every write below (in its
   * transaction), so it costs no scan; counted once for a store written before it was kept.
   */
  count(list: ListName): number {
    let n = this.#counts.get(list);
    if (n !== undefined) return n;
    const stored = this.#setting.get.get(COUNT_SETTING(list)) as string | undefined;
    n = stored === undefined ? this.#countRows(LIST_DESCRIPTORS[list].table) : Number(stored);
    if (stored === undefined) this.#setCount(list, n);
    this.#counts.set(list, n);
    return n;
  }

  #countRows(table: string): number {
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  /** Stores a list's entry count (inside the caller's transaction). */
  #setCount(list: ListName, n: number): void {
    this.#setting.put.run(COUNT_SETTING(list), String(n));
    this.#counts.set(list, n);
  }

  /** Runs a transaction that keeps a list's count; if it rolls back, the count is read again. */
  #counted<T>(list: ListName, fn: () => T): T {
    try {
      return this.#db.transaction(fn)();
    } catch (error) {
      this.#counts.delete(list);
      this.#keyIds.delete(list);
      throw error;
    }
  }

  /** The newest version whose urgent entries were overlaid ahead of their delta (0: none pending). */
  overlayUntil(list: ListName): number {
    const v = this.#setting.get.get(OVERLAY_SETTING(list)) as string | undefined;
    return v === undefined ? 0 : Number(v);
  }

  /** Starts replacing a list from a snapshot. */
  replace<L extends ListName>(list: L): ListReplacement<LaneEntry<L>> {
    const d = LIST_DESCRIPTORS[list];
    const table = d.table;
    const shadow = `${table}${SHADOW_SUFFIX}`;
    const db = this.#db;
    db.exec(`DROP TABLE IF EXISTS ${shadow}`);
    const ddl = (db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(table) as { sql: string })
      .sql;
    // The shadow copies the live table's current definition (SQLite quotes the name after a rename).
    db.exec(ddl.replace(/^CREATE TABLE\s+(?:"\w+"|\w+)/, `CREATE TABLE ${shadow}`));
    const insert = db.prepare<[bigint, ...ListCell[]]>(putSql(list, shadow));
    const addBatch = db.transaction((entries: readonly LaneEntry<L>[]) => {
      for (const e of entries) insert.run(e.key, ...d.toRow(e));
    });
    let done = false;
    return {
      add: (entries) => {
        if (done) throw new Error('list replacement already finished');
        addBatch(entries);
      },
      count: () => this.#countRows(shadow),
      commit: (version, syncedAt, keyId = 0) => {
        if (done) throw new Error('list replacement already finished');
        done = true;
        this.#counted(list, () => {
          const n = this.#countRows(shadow);
          db.exec(`DROP TABLE ${table}`);
          db.exec(`ALTER TABLE ${shadow} RENAME TO ${table}`);
          this.#state.set.run(version, syncedAt, list);
          // The entries and the key they are keyed with change together: a lookup never keys a
          // subject with one key against entries keyed with another.
          this.#state.setKeyId.run(keyId, list);
          this.#keyIds.set(list, keyId);
          this.#setCount(list, n);
          // A snapshot holds every urgent entry of its version and before.
          if (this.overlayUntil(list) <= version) this.#setting.put.run(OVERLAY_SETTING(list), '0');
        });
        // Statements prepared on the old table recompile against the new one (SQLite re-prepares).
        this.#states.delete(list);
      },
      abort: () => {
        done = true;
        db.exec(`DROP TABLE IF EXISTS ${shadow}`);
      },
    };
  }

  /**
   * Applies a delta in one transaction, only if the list is at `fromVersion` (else returns
   * false and changes nothing: the caller re-syncs).
   */
  applyChanges<L extends ListName>(
    list: L,
    fromVersion: number,
    toVersion: number,
    changes: readonly LaneListChange<LaneEntry<L>>[],
    syncedAt: number,
  ): boolean {
    return this.#counted(list, () => {
      if (this.state(list).version !== fromVersion) return false;
      const { put, remove, exists } = this.#statements[list];
      const d = LIST_DESCRIPTORS[list];
      let n = this.count(list);
      for (const c of changes) {
        if (c.op === 'delete') n -= remove.run(c.key).changes;
        else {
          if (exists.get(c.value.key) === undefined) n++;
          put.run(c.value.key, ...d.toRow(c.value));
        }
      }
      this.#state.set.run(toVersion, syncedAt, list);
      this.#states.delete(list);
      this.#setCount(list, n);
      if (this.overlayUntil(list) <= toVersion) this.#setting.put.run(OVERLAY_SETTING(list), '0');
      return true;
    });
  }

  /**
   * Writes entries without moving the list's version (see `LaneStore.overlayHealth`); they
   * belong to version `untilVersion`, so the list's count runs ahead of its version until then.
   */
  overlay<L extends ListName>(list: L, entries: readonly LaneEntry<L>[], untilVersion: number): void {
    const { put, exists } = this.#statements[list];
    const d = LIST_DESCRIPTORS[list];
    this.#counted(list, () => {
      let n = this.count(list);
      for (const e of entries) {
        if (exists.get(e.key) === undefined) n++;
        put.run(e.key, ...d.toRow(e));
      }
      this.#setCount(list, n);
      if (untilVersion > this.overlayUntil(list))
        this.#setting.put.run(OVERLAY_SETTING(list), String(untilVersion));
    });
  }

  /** Empties a list and sets it back to version 0, never synced (to be fetched again). */
  reset(list: ListName): void {
    this.#counted(list, () => {
      this.#db.exec(`DELETE FROM ${LIST_DESCRIPTORS[list].table}`);
      this.#state.reset.run(list);
      this.#states.delete(list);
      this.#setCount(list, 0);
      this.#setting.put.run(OVERLAY_SETTING(list), '0');
    });
  }
}

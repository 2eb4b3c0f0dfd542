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
  /** Swaps the shadow table in, in one transaction with the new version. */
  commit(version: number, syncedAt: number): void;
  abort(): void;
}

const SHADOW_SUFFIX = '_next';

interface ListStatements {
  readonly lookup: Database.Statement<[bigint]>;
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

  constructor(db: Database.Database) {
    this.#db = db;
    const statements = (list: ListName): ListStatements => {
      const { table, columns } = LIST_DESCRIPTORS[list];
      return {
        lookup: db.prepare<[bigint]>(`SELECT ${columns.join(', ')} FROM ${table} WHERE key = ?`).raw(true),
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

  /** Number of entries in a list. */
  count(list: ListName): number {
    const sql = `SELECT count(*) AS n FROM ${LIST_DESCRIPTORS[list].table}`;
    return (this.#db.prepare(sql).get() as { n: number }).n;
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
      commit: (version, syncedAt) => {
        if (done) throw new Error('list replacement already finished');
        done = true;
        db.transaction(() => {
          db.exec(`DROP TABLE ${table}`);
          db.exec(`ALTER TABLE ${shadow} RENAME TO ${table}`);
          this.#state.set.run(version, syncedAt, list);
        })();
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
    return this.#db.transaction(() => {
      if (this.state(list).version !== fromVersion) return false;
      const { put, remove } = this.#statements[list];
      const d = LIST_DESCRIPTORS[list];
      for (const c of changes) {
        if (c.op === 'delete') remove.run(c.key);
        else put.run(c.value.key, ...d.toRow(c.value));
      }
      this.#state.set.run(toVersion, syncedAt, list);
      this.#states.delete(list);
      return true;
    })();
  }

  /** Writes entries without moving the list's version (see `LaneStore.overlayHealth`). */
  overlay<L extends ListName>(list: L, entries: readonly LaneEntry<L>[]): void {
    const { put } = this.#statements[list];
    const d = LIST_DESCRIPTORS[list];
    this.#db.transaction(() => {
      for (const e of entries) put.run(e.key, ...d.toRow(e));
    })();
  }

  /** Empties a list and sets it back to version 0, never synced (to be fetched again). */
  reset(list: ListName): void {
    this.#db.exec(`DELETE FROM ${LIST_DESCRIPTORS[list].table}`);
    this.#state.reset.run(list);
    this.#states.delete(list);
  }
}

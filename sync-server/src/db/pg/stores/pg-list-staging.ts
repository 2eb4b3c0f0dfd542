import type { ListName } from '@checkpoint-lane/shared';
import type pg from 'pg';
import { listKind, type ListKind, type ListRows } from '../../../lists/list-kinds.js';
import type { DuplicateGroup } from '../../repositories/list-staging.js';
import type { ListStagingStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { decodeRow, entrySelect, unnestBatch, type PgEntryRow } from './pg-list-rows.js';

let counter = 0;

/** Longest one statement of an import may run on its staging client (the write's upsert included), ms. */
export const IMPORT_STATEMENT_TIMEOUT_MS = 600_000;

/** SQL type of an entry column in the staging table (the entry table's types, no constraints). */
function stagingType(name: string, type: string): string {
  if (name === 'checkpoints') return 'text[]';
  return type.startsWith('INTEGER') ? 'bigint' : 'text';
}

/**
 * A bulk import staged in a TEMP table on PostgreSQL (see `ListStaging`). A TEMP table exists on
 * one connection only, so the staging holds a client checked out of the pool from its first
 * `add()` with rows (or `checkout()`) to `drop()`, and the list writer writes a staged import in a
 * transaction on that same client. Before that it holds nothing: an upload that sends no row
 * takes no connection. A TEMP table writes no WAL, is never seen by another server or vacuumed
 * with the list tables, and goes away with its connection if the server dies mid-import. Its
 * statements may run for up to `IMPORT_STATEMENT_TIMEOUT_MS`. Always `drop()` it: that gives the
 * client back.
 */
export class PgListStaging<L extends ListName = ListName> implements ListStagingStore<L> {
  readonly kind: ListKind<L>;
  #released = false;
  #deduped = false;
  /** Set when a statement on the client failed in a way that leaves the connection unusable. */
  #broken: Error | undefined;
  #client: pg.PoolClient | undefined;
  #opening: Promise<pg.PoolClient> | undefined;

  private constructor(
    readonly pool: PgPool,
    readonly list: L,
    /** The TEMP table's name (unique on this connection; never user input). */
    readonly table: string,
  ) {
    this.kind = listKind(list);
  }

  /** A staging for `list` on `pool`; no client is checked out until rows arrive. */
  static open<L extends ListName>(pool: PgPool, list: L): Promise<PgListStaging<L>> {
    return Promise.resolve(new PgListStaging(pool, list, `import_${process.pid}_${++counter}`));
  }

  /** The held client; throws before `checkout()` (or the first `add()` with rows). */
  get client(): pg.PoolClient {
    if (this.#client === undefined) throw new Error('this staging holds no client yet');
    return this.#live();
  }

  /** True once a client is checked out (and until `drop()`). */
  get holdsClient(): boolean {
    return this.#client !== undefined && !this.#released;
  }

  /** Checks a client out of the pool and creates the TEMP table on it, once; answers the client. */
  async checkout(): Promise<pg.PoolClient> {
    if (this.#released) throw new Error('this staging was dropped');
    if (this.#client !== undefined) return this.#client;
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    try {
      // The import's statements (1M rows: a duplicate check, an upsert) may outlast the pool's
      // request timeout; `drop()` puts the connection's own back.
      await client.query(`SET statement_timeout = ${IMPORT_STATEMENT_TIMEOUT_MS}`);
      await client.query(`CREATE TEMP TABLE ${this.table} (
        line integer NOT NULL, subject_key bigint NOT NULL, subject text NOT NULL,
        ${this.kind.attributes.map((c) => `${c.name} ${stagingType(c.name, c.type)}`).join(', ')},
        name text, note text, rejected boolean NOT NULL DEFAULT false)`);
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    if (this.#released) {
      // Dropped while connecting: the table goes with the destroyed connection.
      client.release(true);
      throw new Error('this staging was dropped');
    }
    this.#client = client;
    return client;
  }

  #live(): pg.PoolClient {
    if (this.#released) throw new Error('this staging was dropped');
    if (this.#client === undefined) throw new Error('this staging holds no client yet');
    return this.#client;
  }

  /** Marks the connection unusable: `drop()` then destroys it instead of giving it back. */
  markBroken(err: Error): void {
    this.#broken ??= err;
  }

  /**
   * Stages validated rows with their line numbers (one multi-row insert from arrays); the first
   * call with rows checks the client out.
   */
  async add(rows: readonly { line: number; row: ListRows[L] }[]): Promise<void> {
    if (this.#released) throw new Error('this staging was dropped');
    if (rows.length === 0) return;
    await this.checkout();
    this.#deduped = false;
    const batch = unnestBatch(
      this.list,
      rows.map((r) => r.row),
      rows.map((r) => r.line),
    );
    await this.#live().query(
      `INSERT INTO ${this.table} (${batch.columns.join(', ')}) ${batch.select(1)}`,
      batch.params,
    );
  }

  /** Marks every line whose subject appears more than once as rejected; returns the groups (by subject). */
  async rejectDuplicates(): Promise<DuplicateGroup[]> {
    if (this.#client === undefined && !this.#released) {
      // Nothing staged, so no duplicates.
      this.#deduped = true;
      return [];
    }
    const { rows } = await this.#live().query<{ lines: number[] }>(
      `WITH d AS (
         SELECT subject, array_agg(line ORDER BY line) AS lines FROM ${this.table}
         GROUP BY subject HAVING count(*) > 1),
       u AS (UPDATE ${this.table} t SET rejected = true FROM d WHERE t.subject = d.subject)
       SELECT lines FROM d ORDER BY subject COLLATE "C"`,
    );
    this.#deduped = true;
    return rows.map((r) => ({ lines: r.lines }));
  }

  /**
   * True after `rejectDuplicates` (and no `add` since): the accepted rows then have distinct
   * subjects, so distinct keys.
   */
  get deduped(): boolean {
    return this.#deduped;
  }

  /** Rows staged and not rejected. */
  async accepted(): Promise<number> {
    if (this.#client === undefined && !this.#released) return 0;
    const { rows } = await this.#live().query<{ n: number }>(
      `SELECT count(*) AS n FROM ${this.table} WHERE NOT rejected`,
    );
    return rows[0]?.n ?? 0;
  }

  /** Up to `max` accepted rows, by line. */
  async sample(max: number): Promise<ListRows[L][]> {
    if (this.#client === undefined && !this.#released) return [];
    const { rows } = await this.#live().query<PgEntryRow>(
      `SELECT ${entrySelect(this.kind)} FROM ${this.table} WHERE NOT rejected ORDER BY line LIMIT $1`,
      [max],
    );
    return rows.map((r) => decodeRow(this.kind, r));
  }

  /**
   * Drops the TEMP table and gives the client back (destroyed when it failed); holds nothing
   * when no client was checked out. Safe to call twice.
   */
  async drop(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    // A checkout under way ends by giving its client back (it sees #released).
    await this.#opening?.catch(() => undefined);
    const client = this.#client;
    if (client === undefined) return;
    try {
      if (this.#broken === undefined) {
        await client.query(`DROP TABLE IF EXISTS ${this.table}`);
        await client.query('RESET statement_timeout');
      }
    } catch (err) {
      this.#broken = err instanceof Error ? err : new Error(String(err));
    } finally {
      client.release(this.#broken);
    }
  }
}

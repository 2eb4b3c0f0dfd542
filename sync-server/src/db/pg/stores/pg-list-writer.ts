import { fail, ok, URGENT_MAX_CHANGES, type ListName, type Result } from '@checkpoint-lane/shared';
import type pg from 'pg';
import type { UrgentHealthChange } from '../../../events/event-hub.js';
import { EVERYWHERE_SCOPE } from '../../../lists/list-counts.js';
import { listKind, storedColumns, type ListKind, type ListRows } from '../../../lists/list-kinds.js';
import {
  CHANGE_LOG_MAX_ROWS_PER_WRITE,
  CHANGE_LOG_RETAINED_ROWS,
  entryAuditTarget,
  type ListWrite,
  type ListWriteAction,
  type ListWriteBy,
  type ListWriteMeta,
} from '../../../lists/list-writer.js';
import type { AuditEntry, ListStagingStore, ListWriteSource, ListWriterStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';
import { PgListStaging } from './pg-list-staging.js';
import { unnestBatch } from './pg-list-rows.js';

/** What the writer needs besides its pool. */
export interface PgListWriterDeps {
  /** Writes a write's audit record in its transaction (default: `insertAudit`). */
  readonly audit?: (q: Queryable, e: AuditEntry) => Promise<void>;
}

/** Where a write's rows come from (see `RowSource` in lists/list-writer.ts), as SQL on one client. */
interface RowSource<L extends ListName> {
  /** Rows to write (an array's repeated keys count each time, the last one wins). */
  count(): Promise<number>;
  /** Upserts the rows into the list's entry table as `version`. */
  upsert(version: number, now: number): Promise<void>;
  /** Logs each row's key and raw subject under `version` in the change log. */
  log(version: number): Promise<void>;
  /** Up to `max` rows, in input order (for the urgent push). */
  sample(max: number): Promise<readonly ListRows[L][]>;
  /** SQL over the entry table (and its parameters): the stored rows of the keys this write upserts. */
  touched(): { where: string; params: readonly unknown[] };
  /** Where the rows this write upserts are counted as written (see `RowSource.written`). */
  written(): { table?: string; where: string; params: readonly unknown[] };
}

/**
 * SQL: the count scope(s) of each entry row `e` (see `scopesOf` in lists/list-counts.ts): the
 * health list's one scope '', a whitelist entry's checkpoints or '*' (valid everywhere).
 */
function scopeJoin(list: ListName): string {
  return list === 'health'
    ? `CROSS JOIN (VALUES ('')) AS s(scope)`
    : `CROSS JOIN LATERAL unnest(coalesce(e.checkpoints, ARRAY['${EVERYWHERE_SCOPE}'])) AS s(scope)`;
}

/**
 * Adds (`sign` 1) or removes (−1) the count contributions of the rows of `table` (the list's
 * entry table or a staging table with the same columns) matching `where`, in one statement;
 * `$1` is taken by the list name, so `where`'s own parameters start at `$2`.
 */
async function applyCounts(
  q: Queryable,
  list: ListName,
  sign: 1 | -1,
  sel: { table?: string; where: string; params: readonly unknown[] },
): Promise<void> {
  await q.query(
    `INSERT INTO list_counts (list, scope, n)
     SELECT $1, s.scope, ${sign} * count(*) FROM ${sel.table ?? listKind(list).table} e ${scopeJoin(list)}
     WHERE ${sel.where} GROUP BY s.scope
     ON CONFLICT (list, scope) DO UPDATE SET n = list_counts.n + excluded.n`,
    [list, ...sel.params],
  );
}

/** Counts a list again from its rows (after a write that replaced it whole). */
async function recount(q: Queryable, list: ListName): Promise<void> {
  await q.query('DELETE FROM list_counts WHERE list = $1', [list]);
  await applyCounts(q, list, 1, { where: 'true', params: [] });
}

/** SQL: `ON CONFLICT` of an entry upsert: the written row replaces the stored one whole. */
function replaceStored(kind: ListKind): string {
  const cols = ['subject', ...storedColumns(kind), 'version', 'updated_at'];
  return `ON CONFLICT (subject_key) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}

/** Whether a staging is this engine's (a TEMP table on a held client). */
function isPgStaging<L extends ListName>(s: ListStagingStore<L>): s is PgListStaging<L> {
  return s instanceof PgListStaging;
}

/**
 * Runs `fn` in one transaction on an import's staging client (checked out now if no row was
 * staged yet): `BEGIN … COMMIT`, rolled back when `fn` throws. A failed rollback marks the
 * staging broken so its `drop()` destroys the connection.
 */
async function onStagingClient<T>(staging: PgListStaging, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await staging.checkout();
  await c.query('BEGIN');
  try {
    const result = await fn(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch((rollbackError: unknown) => {
      staging.markBroken(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)));
    });
    throw err;
  }
}

/**
 * List writes on PostgreSQL, mirroring `ListWriter` (lists/list-writer.ts) and `ListCounts`: each
 * write is ONE transaction — the entries, the version counter, the change log (or its truncation
 * after a big write), the version's history row, the counts and the audit record move together.
 * Every write first locks the list's `list_state` row (`SELECT … FOR UPDATE`), so the writes of
 * several servers to one list take turns and versions stay gap-free and ordered.
 */
export class PgListWriterStore implements ListWriterStore {
  readonly #audit: (q: Queryable, e: AuditEntry) => Promise<void>;

  constructor(
    private readonly pool: PgPool,
    deps: PgListWriterDeps = {},
  ) {
    this.#audit = deps.audit ?? insertAudit;
  }

  /** A list's current version. */
  async version(list: ListName): Promise<number> {
    return versionOn(this.pool, list);
  }

  /**
   * Stages a bulk import in a TEMP table on a client checked out at its first rows and held until
   * `drop()` (see `PgListStaging`), to write it with `write(list, {staging})`.
   */
  stage<L extends ListName>(list: L): Promise<ListStagingStore<L>> {
    return PgListStaging.open(this.pool, list);
  }

  /**
   * Writes rows (upsert) as ONE new version with its history row and audit record; with
   * `replace`, entries not written are deleted too. With nothing to write (no rows, no replace)
   * no version is born, and the audit record still says the write was asked for. A staged
   * import is written on its staging's client.
   */
  write<L extends ListName>(list: L, input: ListWriteSource<L>, meta: ListWriteMeta): Promise<ListWrite> {
    const kind = listKind(list);
    if ('staging' in input) {
      const staging = input.staging;
      if (!isPgStaging(staging)) return Promise.reject(new Error('staging from another engine'));
      if (staging.list !== list)
        return Promise.reject(new Error(`staged ${staging.list} rows written to ${list}`));
      return onStagingClient(staging, (c) => this.#write(c, kind, stagedSource(c, staging), meta));
    }
    return withPgTransaction(this.pool, (c) => this.#write(c, kind, arraySource(c, kind, input.rows), meta));
  }

  /** Creates or replaces one entry as a new version (`list.put`, audited with its attributes). */
  putEntry<L extends ListName>(list: L, row: ListRows[L], by: ListWriteBy): Promise<ListWrite> {
    return this.write(
      list,
      { rows: [row] },
      {
        ...by,
        action: 'list.put',
        target: entryAuditTarget(list, row.key),
        details: listKind(list).auditWhat(row),
      },
    );
  }

  /** Deletes one entry as a new version (`list.delete`); an absent entry is `not_found` (nothing written). */
  deleteEntry(list: ListName, key: bigint, by: ListWriteBy): Promise<Result<ListWrite, 'not_found'>> {
    const { table } = listKind(list);
    return withPgTransaction(this.pool, async (c): Promise<Result<ListWrite, 'not_found'>> => {
      const fromVersion = await lockVersion(c, list);
      const removed = await c.query<{ subject: string; scopes: string[] }>(
        `WITH d AS (DELETE FROM ${table} WHERE subject_key = $1 RETURNING *)
         SELECT e.subject, array_agg(s.scope) AS scopes FROM d e ${scopeJoin(list)} GROUP BY e.subject`,
        [key.toString()],
      );
      const gone = removed.rows[0];
      if (gone === undefined) return fail('not_found');
      await c.query(
        `INSERT INTO list_counts (list, scope, n) SELECT $1, scope, -1 FROM unnest($2::text[]) AS s(scope)
         ON CONFLICT (list, scope) DO UPDATE SET n = list_counts.n + excluded.n`,
        [list, gone.scopes],
      );
      const version = fromVersion + 1;
      await c.query(
        'INSERT INTO list_changes (list, version, subject_key, subject) VALUES ($1, $2, $3, $4)',
        [list, version, key.toString(), gone.subject],
      );
      await bear(c, list, version, { ...by, action: 'list.delete', changes: 1 });
      await this.#audit(c, {
        at: by.now,
        actor: by.actor,
        action: 'list.delete',
        target: entryAuditTarget(list, key),
        details: { version },
      });
      return ok({ list, version, fromVersion, changes: 1, urgentChanges: [] });
    });
  }

  /**
   * Records the audit of a write that was asked for and refused: no version is born; the record
   * names the list's current version.
   */
  recordRefused(list: ListName, meta: ListWriteMeta): Promise<void> {
    return withPgTransaction(this.pool, async (c) => {
      const version = await versionOn(c, list);
      await this.#audit(c, {
        at: meta.now,
        actor: meta.actor,
        action: meta.action,
        target: meta.target ?? list,
        details: { version, ...meta.details },
      });
    });
  }

  /** The one algorithm of `ListWriter.#write`: rows from either source become one version, or nothing is written. */
  async #write<L extends ListName>(
    c: pg.PoolClient,
    kind: ListKind<L>,
    source: RowSource<L>,
    meta: ListWriteMeta,
  ): Promise<ListWrite> {
    const { list, table } = kind;
    const fromVersion = await lockVersion(c, list);
    const written = await source.count();
    const replace = meta.replace === true;
    let version = fromVersion;
    let changes = 0;
    let urgentChanges: UrgentHealthChange[] = [];
    if (written > 0 || replace) {
      version = fromVersion + 1;
      // The counts: the rows this write replaces leave, the rows it writes come in (a replacing
      // write counts the list it leaves instead, below).
      if (!replace && !(await isEmpty(c, table))) await applyCounts(c, list, -1, source.touched());
      await source.upsert(version, meta.now);
      if (!replace) await applyCounts(c, list, 1, source.written());
      // A write already too big for the change log deletes what it replaces without counting first.
      const truncates = written > CHANGE_LOG_MAX_ROWS_PER_WRITE;
      let deleted = 0;
      if (replace && truncates) {
        deleted = (await c.query(`DELETE FROM ${table} WHERE version < $1`, [version])).rowCount ?? 0;
      } else if (replace) {
        const n = await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE version < $1`, [
          version,
        ]);
        deleted = n.rows[0]?.n ?? 0;
      }
      changes = written + deleted;
      if (changes > CHANGE_LOG_MAX_ROWS_PER_WRITE) {
        await c.query('DELETE FROM list_changes WHERE list = $1', [list]);
        await c.query('UPDATE list_state SET changes_from = $1 WHERE list = $2', [version, list]);
      } else {
        await source.log(version);
        if (deleted > 0) {
          await c.query(
            `INSERT INTO list_changes (list, version, subject_key, subject)
             SELECT $1, $2, subject_key, subject FROM ${table} WHERE version < $2
             ON CONFLICT DO NOTHING`,
            [list, version],
          );
        }
      }
      if (deleted > 0 && !truncates) await c.query(`DELETE FROM ${table} WHERE version < $1`, [version]);
      if (replace) await recount(c, list);
      await bear(c, list, version, { now: meta.now, actor: meta.actor, action: meta.action, changes });
      if (written <= URGENT_MAX_CHANGES) {
        urgentChanges = (await source.sample(URGENT_MAX_CHANGES)).flatMap((row) => kind.urgent(row) ?? []);
      }
    }
    await this.#audit(c, {
      at: meta.now,
      actor: meta.actor,
      action: meta.action,
      target: meta.target ?? list,
      details: { version, ...meta.details },
    });
    return { list, version, fromVersion, changes, urgentChanges };
  }
}

/** A list's current version, read on `q`. */
async function versionOn(q: Queryable, list: ListName): Promise<number> {
  const { rows } = await q.query<{ version: number }>('SELECT version FROM list_state WHERE list = $1', [
    list,
  ]);
  const v = rows[0]?.version;
  if (v === undefined) throw new Error(`list_state has no row for ${list}`);
  return v;
}

/**
 * Locks the list's counter row for the rest of the transaction and answers its version: a
 * second writer (this server or another) waits here and then reads the version the first one
 * committed, so each write bears the previous version plus one.
 */
async function lockVersion(c: pg.PoolClient, list: ListName): Promise<number> {
  const { rows } = await c.query<{ version: number }>(
    'SELECT version FROM list_state WHERE list = $1 FOR UPDATE',
    [list],
  );
  const v = rows[0]?.version;
  if (v === undefined) throw new Error(`list_state has no row for ${list}`);
  return v;
}

async function isEmpty(q: Queryable, table: string): Promise<boolean> {
  return (await q.query(`SELECT 1 FROM ${table} LIMIT 1`)).rows.length === 0;
}

/** Moves the counter to a new version, writes its history row, keeps the change log bounded. */
async function bear(
  c: pg.PoolClient,
  list: ListName,
  version: number,
  v: { now: number; actor: string; action: ListWriteAction; changes: number },
): Promise<void> {
  await c.query('UPDATE list_state SET version = $1 WHERE list = $2', [version, list]);
  await c.query(
    'INSERT INTO list_versions (list, version, at, actor, action, changes) VALUES ($1, $2, $3, $4, $5, $6)',
    [list, version, v.now, v.actor, v.action, v.changes],
  );
  // Older versions then answer 410 (take a snapshot).
  const { rows } = await c.query<{ version: number }>(
    'SELECT version FROM list_changes WHERE list = $1 ORDER BY version DESC LIMIT 1 OFFSET $2',
    [list, CHANGE_LOG_RETAINED_ROWS],
  );
  const cutoff = rows[0]?.version;
  if (cutoff === undefined) return;
  await c.query('DELETE FROM list_changes WHERE list = $1 AND version <= $2', [list, cutoff]);
  await c.query('UPDATE list_state SET changes_from = greatest(changes_from, $1) WHERE list = $2', [
    cutoff,
    list,
  ]);
}

/** Rows in an array: one multi-row upsert from arrays (repeated keys: the last row wins, as in SQLite). */
function arraySource<L extends ListName>(
  c: pg.PoolClient,
  kind: ListKind<L>,
  rows: readonly ListRows[L][],
): RowSource<L> {
  const keys = rows.map((r) => r.key.toString());
  // INSERT … ON CONFLICT DO UPDATE may not touch one row twice: each key once, its last row.
  const last = new Map<bigint, ListRows[L]>();
  for (const r of rows) last.set(r.key, r);
  const touched = { where: 'e.subject_key = ANY($2::bigint[])', params: [keys] };
  return {
    count: () => Promise.resolve(rows.length),
    upsert: async (version, now) => {
      const batch = unnestBatch(kind.list, [...last.values()]);
      await c.query(
        `INSERT INTO ${kind.table} (${batch.columns.join(', ')}, version, updated_at)
         SELECT *, $1::bigint, $2::bigint FROM (${batch.select(3)}) AS b
         ${replaceStored(kind)}`,
        [version, now, ...batch.params],
      );
    },
    log: async (version) => {
      await c.query(
        `INSERT INTO list_changes (list, version, subject_key, subject)
         SELECT $1, $2, k, s FROM unnest($3::bigint[], $4::text[]) AS u(k, s)
         ON CONFLICT DO NOTHING`,
        [kind.list, version, keys, rows.map((r) => r.subject)],
      );
    },
    sample: (max) => Promise.resolve(rows.slice(0, max)),
    touched: () => touched,
    // Repeated keys: the touched rows once written, each key once.
    written: () => touched,
  };
}

/** Rows staged in the TEMP table (not rejected): moved with one statement each, in key order. */
function stagedSource<L extends ListName>(c: pg.PoolClient, staging: PgListStaging<L>): RowSource<L> {
  const kind = staging.kind;
  const cols = storedColumns(kind).join(', ');
  return {
    count: () => staging.accepted(),
    upsert: async (version, now) => {
      // Without a duplicate check, a key staged twice is written once: its last line wins.
      // After one (an import), accepted keys are distinct and need no sort.
      await c.query(
        staging.deduped
          ? `INSERT INTO ${kind.table} (subject_key, subject, ${cols}, version, updated_at)
             SELECT subject_key, subject, ${cols}, $1::bigint, $2::bigint FROM ${staging.table} WHERE NOT rejected
             ${replaceStored(kind)}`
          : `INSERT INTO ${kind.table} (subject_key, subject, ${cols}, version, updated_at)
             SELECT DISTINCT ON (subject_key) subject_key, subject, ${cols}, $1::bigint, $2::bigint
             FROM ${staging.table} WHERE NOT rejected ORDER BY subject_key, line DESC
             ${replaceStored(kind)}`,
        [version, now],
      );
    },
    log: async (version) => {
      await c.query(
        `INSERT INTO list_changes (list, version, subject_key, subject)
         SELECT $1, $2, subject_key, subject FROM ${staging.table} WHERE NOT rejected
         ON CONFLICT DO NOTHING`,
        [kind.list, version],
      );
    },
    sample: (max) => staging.sample(max),
    touched: () => ({
      where: `e.subject_key IN (SELECT subject_key FROM ${staging.table} WHERE NOT rejected)`,
      params: [],
    }),
    // An import rejects every line of a repeated subject, so accepted keys are distinct.
    written: () => ({ table: staging.table, where: 'NOT e.rejected', params: [] }),
  };
}

import type { ListName } from '@checkpoint-lane/shared';
import { EVERYWHERE_SCOPE } from '../../../lists/list-counts.js';
import { listKind } from '../../../lists/list-kinds.js';
import {
  MAX_DELTA_CHANGES,
  type ChangesResult,
  type LaneChange,
  type ListState,
  type ListVersionRecord,
  type StoredEntry,
} from '../../repositories/lists-repository.js';
import type { LaneChanges, ListsStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { withPgTransaction, type Queryable } from '../pg-tx.js';
import { entrySelect, rawColumns, type PgEntryRow } from './pg-list-rows.js';

/** Every read of one answer sees one committed state. */
const READ_ONE_VERSION = { isolation: 'repeatable read', readOnly: true } as const;

/** Version counter and retained change-log start of one list, read on `q`. */
export async function listState(q: Queryable, list: ListName): Promise<ListState> {
  const { rows } = await q.query<{ version: number; changes_from: number }>(
    'SELECT version, changes_from FROM list_state WHERE list = $1',
    [list],
  );
  const row = rows[0];
  if (!row) throw new Error(`list_state has no row for ${list}`);
  return { version: row.version, changesFrom: row.changes_from };
}

/**
 * Changes since `since`, coalesced to the latest state of each key, as a lane at `checkpointId`
 * sees them (see `ListsRepository.changesSince`), read on `q`: call it inside one transaction so
 * `toVersion` matches the entries.
 */
export async function changesSinceOn(
  q: Queryable,
  list: ListName,
  since: number,
  checkpointId: string,
): Promise<ChangesResult> {
  const st = await listState(q, list);
  if (since > st.version) return { kind: 'ahead', version: st.version };
  if (since < st.changesFrom) return { kind: 'gone', changesFrom: st.changesFrom, version: st.version };
  if (since === st.version) return { kind: 'ok', fromVersion: since, toVersion: since, changes: [] };
  const counted = await q.query<{ n: number }>(
    'SELECT count(DISTINCT subject_key) AS n FROM list_changes WHERE list = $1 AND version > $2',
    [list, since],
  );
  if ((counted.rows[0]?.n ?? 0) > MAX_DELTA_CHANGES) {
    return { kind: 'gone', changesFrom: st.version, version: st.version };
  }
  const kind = listKind(list);
  const { rows } = await q.query<PgEntryRow & { k: string; present: boolean }>(
    `SELECT c.subject_key::text AS k, e.subject_key IS NOT NULL AS present, ${entrySelect(kind, 'e')}
     FROM (SELECT DISTINCT subject_key FROM list_changes WHERE list = $1 AND version > $2) c
     LEFT JOIN ${kind.table} e ON e.subject_key = c.subject_key ORDER BY c.subject_key`,
    [list, since],
  );
  const changes: LaneChange[] = [];
  for (const r of rows) {
    const key = BigInt(r.k);
    // Deleted, or (whitelist) no longer valid at this lane's checkpoint: the lane drops it.
    const entry = r.present ? kind.laneEntry(rawColumns(r), checkpointId) : null;
    changes.push(entry === null ? { key, op: 'delete' } : { key, op: 'put', entry });
  }
  return { kind: 'ok', fromVersion: since, toVersion: st.version, changes };
}

/** The entries a lane at `checkpointId` holds of `list` (`list_counts`, see `ListCounts.laneCount`), read on `q`. */
export async function laneCountOn(q: Queryable, list: ListName, checkpointId: string): Promise<number> {
  const { rows } =
    list === 'health'
      ? await q.query<{ n: number }>(
          `SELECT coalesce((SELECT n FROM list_counts WHERE list = $1 AND scope = ''), 0) AS n`,
          [list],
        )
      : await q.query<{ n: number }>(
          `SELECT coalesce((SELECT n FROM list_counts WHERE list = $1 AND scope = $2), 0)
                + coalesce((SELECT n FROM list_counts WHERE list = $1 AND scope = $3), 0) AS n`,
          [list, EVERYWHERE_SCOPE, checkpointId],
        );
  return rows[0]?.n ?? 0;
}

/**
 * The raw subject of each key in a list's change log after `since` (see `changeSubjects` in
 * lists/rekey.ts), read on `q`.
 */
export async function changeSubjectsOn(
  q: Queryable,
  list: ListName,
  since: number,
): Promise<Map<bigint, string>> {
  const { rows } = await q.query<{ k: string; subject: string }>({
    text: `SELECT DISTINCT subject_key::text AS k, subject FROM list_changes
           WHERE list = $1 AND version > $2 AND subject IS NOT NULL`,
    values: [list, since],
  });
  return new Map(rows.map((r) => [BigInt(r.k), r.subject]));
}

/**
 * Reads of the health list and the whitelist on PostgreSQL (see `ListsRepository`). Every write,
 * and so every version, goes through `PgListWriterStore`.
 */
export class PgListsStore implements ListsStore {
  constructor(private readonly pool: PgPool) {}

  /** Version counter and retained change-log start of one list. */
  state(list: ListName): Promise<ListState> {
    return listState(this.pool, list);
  }

  /** Number of entries in a list. */
  async count(list: ListName): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${listKind(list).table}`,
    );
    return rows[0]?.n ?? 0;
  }

  /** One stored entry by subject key, or null. */
  async getEntry(list: ListName, key: bigint): Promise<StoredEntry | null> {
    const kind = listKind(list);
    const { rows } = await this.pool.query<PgEntryRow & { version: number; updated_at: number }>(
      `SELECT ${entrySelect(kind)}, version, updated_at FROM ${kind.table} WHERE subject_key = $1`,
      [key.toString()],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      list,
      ...kind.decode(rawColumns(row)),
      version: row.version,
      updatedAt: row.updated_at,
    } as StoredEntry;
  }

  /**
   * Changes since version `since` as one lane at `checkpointId` sees them; 'ahead' above the
   * version, 'gone' below the retained log or past `MAX_DELTA_CHANGES` keys. Read in one
   * REPEATABLE READ transaction so `toVersion` matches the entries.
   */
  changesSince(list: ListName, since: number, checkpointId: string): Promise<ChangesResult> {
    return withPgTransaction(
      this.pool,
      (c) => changesSinceOn(c, list, since, checkpointId),
      READ_ONE_VERSION,
    );
  }

  /**
   * A lane's delta with, read at the same version (one REPEATABLE READ READ ONLY transaction),
   * the entries the lane holds at `toVersion` and the raw subjects of the changes: `LaneStore.changes`.
   */
  laneChanges(list: ListName, since: number, checkpointId: string): Promise<LaneChanges> {
    return withPgTransaction(
      this.pool,
      async (c): Promise<LaneChanges> => {
        const d = await changesSinceOn(c, list, since, checkpointId);
        if (d.kind !== 'ok') return d;
        const count = await laneCountOn(c, list, checkpointId);
        return { ...d, count, subjects: await changeSubjectsOn(c, list, d.fromVersion) };
      },
      READ_ONE_VERSION,
    );
  }

  /** A list's version history, newest first; `before` pages by version. */
  async history(list: ListName, opts: { limit: number; before?: number }): Promise<ListVersionRecord[]> {
    const { rows } = await this.pool.query<ListVersionRecord>(
      `SELECT version, at, actor, action, changes FROM list_versions
       WHERE list = $1 ${opts.before === undefined ? '' : 'AND version < $3'} ORDER BY version DESC LIMIT $2`,
      opts.before === undefined ? [list, opts.limit] : [list, opts.limit, opts.before],
    );
    return rows;
  }
}

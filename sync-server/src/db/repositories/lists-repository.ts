import type { ListName } from '@checkpoint-lane/shared';
import { listKind, type LaneEntry, type ListRows } from '../../lists/list-kinds.js';
import type { Db } from '../open-database.js';

/** A list's version counter and the oldest version `changes?since=` still answers. */
export interface ListState {
  readonly version: number;
  readonly changesFrom: number;
}

/** One change in a delta, keyed by subject key. */
export interface LaneChange {
  readonly key: bigint;
  readonly op: 'put' | 'delete';
  readonly entry?: LaneEntry;
}

/** Answer to a delta request. */
export type ChangesResult =
  | { kind: 'ok'; fromVersion: number; toVersion: number; changes: LaneChange[] }
  | { kind: 'gone'; changesFrom: number; version: number }
  | { kind: 'ahead'; version: number };

/** A stored entry with what only the server keeps (subject, name, note, version). */
export type StoredEntry = {
  [L in ListName]: { list: L; version: number; updatedAt: number } & ListRows[L];
}[ListName];

/** One written list version: who, when, what kind of write, how many entries it changed. */
export interface ListVersionRecord {
  readonly version: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly changes: number;
}

/** A delta larger than this answers 410: a snapshot is cheaper. */
export const MAX_DELTA_CHANGES = 100_000;

/**
 * Reads of the health list and the whitelist: entries keyed by subject key, one version counter
 * per list, a change log for deltas, and each version's history row. Every write, and so every
 * version, goes through `ListWriter` (lists/list-writer.ts).
 */
export class ListsRepository {
  constructor(private readonly db: Db) {}

  /** Version counter and retained change-log start of one list. */
  state(list: ListName): ListState {
    const row = this.db.prepare('SELECT version, changes_from FROM list_state WHERE list = ?').get(list) as
      { version: number; changes_from: number } | undefined;
    if (!row) throw new Error(`list_state has no row for ${list}`);
    return { version: row.version, changesFrom: row.changes_from };
  }

  /** Number of entries in a list. */
  count(list: ListName): number {
    return this.db
      .prepare(`SELECT count(*) FROM ${listKind(list).table}`)
      .pluck()
      .get() as number;
  }

  /** One stored entry by subject key, or null. */
  getEntry(list: ListName, key: bigint): StoredEntry | null {
    const raw = this.db
      .prepare(`SELECT * FROM ${listKind(list).table} WHERE subject_key = ?`)
      .safeIntegers(true)
      .get(key) as Record<string, unknown> | undefined;
    if (!raw) return null;
    return {
      list,
      ...listKind(list).decode(raw),
      version: Number(raw.version),
      updatedAt: Number(raw.updated_at),
    } as StoredEntry;
  }

  /**
   * Changes since version `since`, coalesced to the latest state of each key, as one lane at
   * `checkpointId` sees them: whitelist entries valid elsewhere only come as deletes. Read in
   * one transaction so `toVersion` matches the entries.
   */
  changesSince(list: ListName, since: number, checkpointId: string): ChangesResult {
    return this.db.transaction((): ChangesResult => {
      const st = this.state(list);
      if (since > st.version) return { kind: 'ahead', version: st.version };
      if (since < st.changesFrom) return { kind: 'gone', changesFrom: st.changesFrom, version: st.version };
      if (since === st.version) return { kind: 'ok', fromVersion: since, toVersion: since, changes: [] };
      const n = this.db
        .prepare('SELECT count(DISTINCT subject_key) FROM list_changes WHERE list = ? AND version > ?')
        .pluck()
        .get(list, since) as number;
      if (n > MAX_DELTA_CHANGES) return { kind: 'gone', changesFrom: st.version, version: st.version };
      const kind = listKind(list);
      const attrs = kind.attributes.map((c) => `e.${c.name}`).join(', ');
      const rows = this.db
        .prepare(
          `SELECT c.subject_key AS k, e.subject_key AS present, ${attrs}
           FROM (SELECT DISTINCT subject_key FROM list_changes WHERE list = ? AND version > ?) c
           LEFT JOIN ${kind.table} e ON e.subject_key = c.subject_key ORDER BY c.subject_key`,
        )
        .safeIntegers(true)
        .all(list, since) as (Record<string, unknown> & { k: bigint; present: bigint | null })[];
      const changes: LaneChange[] = [];
      for (const r of rows) {
        // Deleted, or (whitelist) no longer valid at this lane's checkpoint: the lane drops it.
        const entry = r.present === null ? null : kind.laneEntry(r, checkpointId);
        changes.push(entry === null ? { key: r.k, op: 'delete' } : { key: r.k, op: 'put', entry });
      }
      return { kind: 'ok', fromVersion: since, toVersion: st.version, changes };
    })();
  }

  /** A list's version history, newest first; `before` pages by version. */
  history(list: ListName, opts: { limit: number; before?: number }): ListVersionRecord[] {
    return this.db
      .prepare(
        `SELECT version, at, actor, action, changes FROM list_versions
         WHERE list = @list AND (@before IS NULL OR version < @before) ORDER BY version DESC LIMIT @limit`,
      )
      .all({ list, before: opts.before ?? null, limit: opts.limit }) as ListVersionRecord[];
  }
}

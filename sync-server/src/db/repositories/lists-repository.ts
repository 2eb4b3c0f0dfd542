import type {
  HealthEntry,
  HealthStatus,
  ListName,
  WhitelistCategory,
  WhitelistEntry,
} from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import { ListStaging } from './list-staging.js';
import type { HealthRow, ListRow, WhitelistRow } from '../../lists/list-rows.js';

/** A list's version counter and the oldest version `changes?since=` still answers. */
export interface ListState {
  readonly version: number;
  readonly changesFrom: number;
}

/** An entry as a lane sees it: the list-specific attributes, never the subject or a name. */
export type LaneEntry = HealthEntry | WhitelistEntry;

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
export type StoredEntry =
  | ({ list: 'health'; version: number; updatedAt: number } & HealthRow)
  | ({ list: 'whitelist'; version: number; updatedAt: number } & WhitelistRow);

/** One written list version: who, when, what kind of write, how many entries it changed. */
export interface ListVersionRecord {
  readonly version: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly changes: number;
}

/** An import this large truncates the change log: lanes behind it take a snapshot instead. */
export const CHANGE_LOG_MAX_ROWS_PER_WRITE = 20_000;
/** Change-log rows kept per list; older versions answer 410. */
export const CHANGE_LOG_RETAINED_ROWS = 200_000;
/** A delta larger than this answers 410: a snapshot is cheaper. */
export const MAX_DELTA_CHANGES = 100_000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const encodeSet = (s: readonly string[] | null): string | null => (s === null ? null : `;${s.join(';')};`);
const decodeSet = (s: unknown): string[] | null =>
  typeof s === 'string' ? s.split(';').filter((x) => x !== '') : null;

/** Reduces a stored checkpoint set to what one lane may know: everywhere, here, or not here. */
export function laneCheckpoints(set: readonly string[] | null, checkpointId: string): string[] | null {
  if (set === null) return null;
  return set.includes(checkpointId) ? [checkpointId] : [];
}

interface RawHealth {
  subject_key: bigint;
  subject: string;
  status: string;
  since: bigint | null;
  until: bigint | null;
  name: string | null;
  note: string | null;
  version: bigint;
  updated_at: bigint;
}
interface RawWhitelist {
  subject_key: bigint;
  subject: string;
  category: string;
  valid_from: bigint | null;
  valid_until: bigint | null;
  checkpoints: string | null;
  name: string | null;
  note: string | null;
  version: bigint;
  updated_at: bigint;
}

/**
 * The health list and the whitelist: entries keyed by subject key, one version counter per
 * list advanced in the same transaction as the change, and a change log for deltas.
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
      .prepare(`SELECT count(*) FROM ${table(list)}`)
      .pluck()
      .get() as number;
  }

  /**
   * Writes rows (upsert) as ONE new version, in one transaction: the counter, the entries and
   * the change log move together. With `replace`, entries not in `rows` are deleted too.
   * Returns the new version (unchanged if there was nothing to write).
   */
  writeRows(list: ListName, rows: readonly ListRow[], opts: { now: number; replace?: boolean }): number {
    return this.db.transaction(() => {
      const before = this.state(list);
      if (rows.length === 0 && opts.replace !== true) return before.version;
      const version = before.version + 1;
      const bigWrite = rows.length > CHANGE_LOG_MAX_ROWS_PER_WRITE;
      if (list === 'health') {
        const ins = this.db.prepare(
          `INSERT OR REPLACE INTO health_entries (subject_key, subject, status, since, until, name, note, version, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const r of rows as readonly HealthRow[]) {
          ins.run(r.key, r.subject, r.status, r.since, r.until, r.name, r.note, version, opts.now);
        }
      } else {
        const ins = this.db.prepare(
          `INSERT OR REPLACE INTO whitelist_entries
             (subject_key, subject, category, valid_from, valid_until, checkpoints, name, note, version, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const r of rows as readonly WhitelistRow[]) {
          ins.run(
            r.key,
            r.subject,
            r.category,
            r.validFrom,
            r.validUntil,
            encodeSet(r.checkpoints),
            r.name,
            r.note,
            version,
            opts.now,
          );
        }
      }
      let deleted = 0;
      if (opts.replace === true) {
        deleted = this.db
          .prepare(`SELECT count(*) FROM ${table(list)} WHERE version < ?`)
          .pluck()
          .get(version) as number;
      }
      if (bigWrite || rows.length + deleted > CHANGE_LOG_MAX_ROWS_PER_WRITE) {
        this.db.prepare('DELETE FROM list_changes WHERE list = ?').run(list);
        this.db.prepare('UPDATE list_state SET changes_from = ? WHERE list = ?').run(version, list);
      } else {
        const log = this.db.prepare(
          'INSERT OR IGNORE INTO list_changes (list, version, subject_key) VALUES (?, ?, ?)',
        );
        for (const r of rows) log.run(list, version, r.key);
        if (deleted > 0) {
          this.db
            .prepare(
              `INSERT OR IGNORE INTO list_changes (list, version, subject_key)
               SELECT ?, ?, subject_key FROM ${table(list)} WHERE version < ?`,
            )
            .run(list, version, version);
        }
      }
      if (deleted > 0) this.db.prepare(`DELETE FROM ${table(list)} WHERE version < ?`).run(version);
      this.db.prepare('UPDATE list_state SET version = ? WHERE list = ?').run(version, list);
      this.pruneChangeLog(list);
      return version;
    })();
  }

  /** Deletes one entry as a new version. Returns the new version, or null if it was absent. */
  deleteEntry(list: ListName, key: bigint): number | null {
    return this.db.transaction(() => {
      const gone = this.db.prepare(`DELETE FROM ${table(list)} WHERE subject_key = ?`).run(key).changes;
      if (gone === 0) return null;
      const version = this.state(list).version + 1;
      this.db
        .prepare('INSERT INTO list_changes (list, version, subject_key) VALUES (?, ?, ?)')
        .run(list, version, key);
      this.db.prepare('UPDATE list_state SET version = ? WHERE list = ?').run(version, list);
      this.pruneChangeLog(list);
      return version;
    })();
  }

  /** One stored entry by subject key, or null. */
  getEntry(list: ListName, key: bigint): StoredEntry | null {
    const raw = this.db
      .prepare(`SELECT * FROM ${table(list)} WHERE subject_key = ?`)
      .safeIntegers(true)
      .get(key) as RawHealth | RawWhitelist | undefined;
    if (!raw) return null;
    return list === 'health' ? fromRawHealth(raw as RawHealth) : fromRawWhitelist(raw as RawWhitelist);
  }

  /** The health status of a subject key, if listed. */
  healthStatus(key: bigint): HealthStatus | null {
    const s = this.db.prepare('SELECT status FROM health_entries WHERE subject_key = ?').pluck().get(key) as
      HealthStatus | undefined;
    return s ?? null;
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
      const keys = `(SELECT DISTINCT subject_key FROM list_changes WHERE list = ? AND version > ?)`;
      const changes: LaneChange[] = [];
      if (list === 'health') {
        const rows = this.db
          .prepare(
            `SELECT c.subject_key AS k, e.status, e.since, e.until
             FROM ${keys} c LEFT JOIN health_entries e ON e.subject_key = c.subject_key ORDER BY c.subject_key`,
          )
          .safeIntegers(true)
          .all(list, since) as {
          k: bigint;
          status: HealthStatus | null;
          since: bigint | null;
          until: bigint | null;
        }[];
        for (const r of rows) {
          changes.push(
            r.status === null
              ? { key: r.k, op: 'delete' }
              : {
                  key: r.k,
                  op: 'put',
                  entry: { status: r.status, since: num(r.since), until: num(r.until) },
                },
          );
        }
      } else {
        const rows = this.db
          .prepare(
            `SELECT c.subject_key AS k, e.category, e.valid_from, e.valid_until, e.checkpoints
             FROM ${keys} c LEFT JOIN whitelist_entries e ON e.subject_key = c.subject_key ORDER BY c.subject_key`,
          )
          .safeIntegers(true)
          .all(list, since) as {
          k: bigint;
          category: WhitelistCategory | null;
          valid_from: bigint | null;
          valid_until: bigint | null;
          checkpoints: string | null;
        }[];
        for (const r of rows) {
          const checkpoints = laneCheckpoints(decodeSet(r.checkpoints), checkpointId);
          // Deleted, or no longer valid here (its checkpoints changed): the lane drops it. The
          // log does not say whether it applied here at `since`, so a lane may get a delete of
          // a key it never held (a no-op, with no attributes).
          changes.push(
            r.category === null || (checkpoints !== null && checkpoints.length === 0)
              ? { key: r.k, op: 'delete' }
              : {
                  key: r.k,
                  op: 'put',
                  entry: {
                    category: r.category,
                    validFrom: num(r.valid_from),
                    validUntil: num(r.valid_until),
                    checkpoints,
                  },
                },
          );
        }
      }
      return { kind: 'ok', fromVersion: since, toVersion: st.version, changes };
    })();
  }

  /** Records who wrote a list version (call in the transaction that wrote it). */
  recordVersion(list: ListName, v: ListVersionRecord): void {
    this.db
      .prepare(
        'INSERT INTO list_versions (list, version, at, actor, action, changes) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(list, v.version, v.at, v.actor, v.action, v.changes);
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

  /** Stages a bulk import in a TEMP table (see `ListStaging`). */
  stage(list: ListName): ListStaging {
    return new ListStaging(this.db, list);
  }

  /** Keeps the change log bounded: older versions then answer 410 (take a snapshot). */
  pruneChangeLog(list: ListName): void {
    const cutoff = this.db
      .prepare('SELECT version FROM list_changes WHERE list = ? ORDER BY version DESC LIMIT 1 OFFSET ?')
      .pluck()
      .get(list, CHANGE_LOG_RETAINED_ROWS) as number | undefined;
    if (cutoff === undefined) return;
    this.db.prepare('DELETE FROM list_changes WHERE list = ? AND version <= ?').run(list, cutoff);
    this.db
      .prepare('UPDATE list_state SET changes_from = max(changes_from, ?) WHERE list = ?')
      .run(cutoff, list);
  }
}

/** The entry table of a list (a fixed name, never user input). */
export function table(list: ListName): 'health_entries' | 'whitelist_entries' {
  return list === 'health' ? 'health_entries' : 'whitelist_entries';
}

function fromRawHealth(r: RawHealth): StoredEntry {
  return {
    list: 'health',
    key: r.subject_key,
    subject: r.subject,
    status: r.status as HealthStatus,
    since: num(r.since),
    until: num(r.until),
    name: r.name,
    note: r.note,
    version: Number(r.version),
    updatedAt: Number(r.updated_at),
  };
}

function fromRawWhitelist(r: RawWhitelist): StoredEntry {
  return {
    list: 'whitelist',
    key: r.subject_key,
    subject: r.subject,
    category: r.category as WhitelistCategory,
    validFrom: num(r.valid_from),
    validUntil: num(r.valid_until),
    checkpoints: decodeSet(r.checkpoints),
    name: r.name,
    note: r.note,
    version: Number(r.version),
    updatedAt: Number(r.updated_at),
  };
}

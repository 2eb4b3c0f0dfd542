import {
  HEALTH_STATUSES,
  WHITELIST_CATEGORIES,
  type HealthEntry,
  type LaneRecord,
  type ListName,
  type WhitelistEntry,
} from '@checkpoint-lane/shared';
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { runMigrations } from './migrate.js';
import { uuidV7 } from './uuid-v7.js';

/** A health list entry as a lane holds it: keyed hash, no identity. */
export interface LaneHealthEntry {
  readonly key: bigint;
  readonly entry: HealthEntry;
}

/** A whitelist entry as a lane holds it: keyed hash, and whether it is valid at this checkpoint. */
export interface LaneWhitelistEntry {
  readonly key: bigint;
  readonly entry: Omit<WhitelistEntry, 'checkpoints'>;
  readonly validHere: boolean;
}

/** A change to one list entry: put (insert or replace) or delete. */
export type LaneListChange<E> =
  { readonly op: 'put'; readonly value: E } | { readonly op: 'delete'; readonly key: bigint };

/** What taking an enrollment in did to the store (see `LaneStore.adoptEnrollment`). */
export interface EnrollmentAdoption {
  /** The store had uploaded for another enrollment. */
  readonly changed: boolean;
  /** Unsent records carried over to the new enrollment. */
  readonly carried: number;
  /** Lists emptied to be fetched again (the whitelist is per checkpoint; both if K changed). */
  readonly listsReset: readonly ListName[];
}

/** What the lane knows of a list's freshness. */
export interface ListState {
  readonly version: number;
  readonly syncedAt: number | null;
}

/** A lane record without the numbers the outbox assigns. */
export type NewLaneRecord = LaneRecord extends infer R
  ? R extends LaneRecord
    ? Omit<R, 'seq' | 'id' | 'at'>
    : never
  : never;

const TABLES = { health: 'health_entries', whitelist: 'whitelist_entries' } as const satisfies Record<
  ListName,
  string
>;
const SHADOW_SUFFIX = '_next';
/** Settings only the store's outbox methods write (see `acknowledge`, `adoptEnrollment`). */
const OUTBOX_SETTINGS: ReadonlySet<string> = new Set([
  'acked_through',
  'seq_base',
  'kiosk_id',
  'list_key_id',
]);

/** A list being replaced from a snapshot: rows go to a shadow table, swapped in by `commit`. */
export interface ListReplacement<E> {
  add(entries: readonly E[]): void;
  /** Swaps the shadow table in, in one transaction with the new version. */
  commit(version: number, syncedAt: number): void;
  abort(): void;
}

/**
 * The lane's local store (better-sqlite3): lists as keyed hashes, list versions and sync
 * times, the scan outbox and settings. Every write that matters is one transaction, so a
 * lookup never sees half a list and a `kill -9` never loses or doubles a scan.
 */
export class LaneStore {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #listStates = new Map<ListName, ListState>();

  private constructor(db: Database.Database) {
    this.#db = db;
    db.defaultSafeIntegers(false);
    const s = <T extends unknown[] = unknown[]>(sql: string): Database.Statement<T> => db.prepare<T>(sql);
    this.#statements = {
      getSetting: s<[string]>('SELECT value FROM settings WHERE name = ?'),
      setSetting: s<[string, string]>(
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
      listState: s<[string]>('SELECT version, synced_at AS syncedAt FROM list_state WHERE list = ?'),
      setListState: s<[number, number, string]>(
        'UPDATE list_state SET version = ?, synced_at = ? WHERE list = ?',
      ),
      markSynced: s<[number, string]>('UPDATE list_state SET synced_at = ? WHERE list = ?'),
      resetListState: s<[string]>('UPDATE list_state SET version = 0, synced_at = NULL WHERE list = ?'),
      health: s<[bigint]>('SELECT status, since, until FROM health_entries WHERE key = ?'),
      whitelist: s<[bigint]>(
        'SELECT category, valid_from AS validFrom, valid_until AS validUntil, valid_here AS validHere FROM whitelist_entries WHERE key = ?',
      ),
      putHealth: s<[bigint, number, number | null, number | null]>(
        'INSERT OR REPLACE INTO health_entries (key, status, since, until) VALUES (?, ?, ?, ?)',
      ),
      putWhitelist: s<[bigint, number, number | null, number | null, number]>(
        'INSERT OR REPLACE INTO whitelist_entries (key, category, valid_from, valid_until, valid_here) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteHealth: s<[bigint]>('DELETE FROM health_entries WHERE key = ?'),
      deleteWhitelist: s<[bigint]>('DELETE FROM whitelist_entries WHERE key = ?'),
      appendRecord: s<[string, number, number, string]>(
        'INSERT INTO outbox (id, at, urgent, record) VALUES (?, ?, ?, ?)',
      ),
      pending: s<[number, number]>(
        'SELECT seq, id, at, record FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      backlog: s<[number]>('SELECT count(*) AS n, max(urgent) AS urgent FROM outbox WHERE seq > ?'),
      prune: s<[number, number]>('DELETE FROM outbox WHERE seq <= ? AND at < ?'),
      lastSeq: s("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
      findRecord: s<[string]>('SELECT seq, id, at, record FROM outbox WHERE id = ?'),
      recentRecords: s<[number]>('SELECT seq, id, at, record FROM outbox ORDER BY seq DESC LIMIT ?'),
      overridesOf: s<[string]>(
        "SELECT seq, id, at, record FROM outbox WHERE json_extract(record, '$.scanId') = ? ORDER BY seq",
      ),
    };
  }

  /** Opens (or creates) the store at `file` (`:memory:` for tests) and migrates it. */
  static open(file: string): LaneStore {
    const db = new Database(file);
    // Only the lane's user may read its store (SQLite gives its -wal/-shm files the same mode).
    if (!db.memory) chmodSync(file, 0o600);
    if (!db.memory) db.pragma('journal_mode = WAL');
    // FULL: a scan is on disk before it is shown as recorded, even across a power cut.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    runMigrations(db);
    // A snapshot interrupted by a crash leaves a shadow table behind; the live list is intact.
    for (const table of Object.values(TABLES)) db.exec(`DROP TABLE IF EXISTS ${table}${SHADOW_SUFFIX}`);
    return new LaneStore(db);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  getSetting(name: string): string | null {
    const row = this.#statements.getSetting.get(name) as { value: string } | undefined;
    return row?.value ?? null;
  }

  /** Writes a setting; the outbox's own (acknowledged mark, enrollment numbering) only the store writes. */
  setSetting(name: string, value: string): void {
    if (OUTBOX_SETTINGS.has(name)) throw new Error(`the ${name} setting is the outbox's own`);
    this.#putSetting(name, value);
  }

  #putSetting(name: string, value: string): void {
    this.#statements.setSetting.run(name, value);
  }

  listState(list: ListName): ListState {
    // Read on every scan: kept in memory, refreshed by every write below (one process owns the store).
    let state = this.#listStates.get(list);
    if (state === undefined) {
      state = this.#statements.listState.get(list) as ListState;
      this.#listStates.set(list, state);
    }
    return state;
  }

  /** Records a successful sync that found the list already current. */
  markSynced(list: ListName, at: number): void {
    this.#statements.markSynced.run(at, list);
    this.#listStates.delete(list);
  }

  /** The health list's entry for a subject key, or null. */
  lookupHealth(key: bigint): HealthEntry | null {
    const row = this.#statements.health.get(key) as
      { status: number; since: number | null; until: number | null } | undefined;
    if (row === undefined) return null;
    return { status: HEALTH_STATUSES[row.status] ?? 'F0', since: row.since, until: row.until };
  }

  /**
   * The whitelist's entry for a subject key, or null. `checkpoints` is null when the entry is
   * valid at this lane's checkpoint and empty when it is not (the lane keeps no other names).
   */
  lookupWhitelist(key: bigint): WhitelistEntry | null {
    const row = this.#statements.whitelist.get(key) as
      | { category: number; validFrom: number | null; validUntil: number | null; validHere: number }
      | undefined;
    if (row === undefined) return null;
    return {
      category: WHITELIST_CATEGORIES[row.category] ?? 'other',
      validFrom: row.validFrom,
      validUntil: row.validUntil,
      checkpoints: row.validHere === 1 ? null : [],
    };
  }

  /** Number of entries in a list. */
  countEntries(list: ListName): number {
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${TABLES[list]}`).get() as { n: number }).n;
  }

  /** Starts replacing the health list from a snapshot. */
  replaceHealthList(): ListReplacement<LaneHealthEntry> {
    return this.#replaceList('health', (insert, e) =>
      insert.run(e.key, statusIndex(e.entry), e.entry.since, e.entry.until),
    );
  }

  /** Starts replacing the whitelist from a snapshot. */
  replaceWhitelist(): ListReplacement<LaneWhitelistEntry> {
    return this.#replaceList('whitelist', (insert, e) =>
      insert.run(e.key, categoryIndex(e.entry), e.entry.validFrom, e.entry.validUntil, e.validHere ? 1 : 0),
    );
  }

  #replaceList<E>(list: ListName, write: (insert: Database.Statement, entry: E) => void): ListReplacement<E> {
    const table = TABLES[list];
    const shadow = `${table}${SHADOW_SUFFIX}`;
    const db = this.#db;
    db.exec(`DROP TABLE IF EXISTS ${shadow}`);
    const ddl = (db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(table) as { sql: string })
      .sql;
    // The shadow copies the live table's current definition (SQLite quotes the name after a rename).
    db.exec(ddl.replace(/^CREATE TABLE\s+(?:"\w+"|\w+)/, `CREATE TABLE ${shadow}`));
    const insert = db.prepare(
      list === 'health'
        ? `INSERT OR REPLACE INTO ${shadow} (key, status, since, until) VALUES (?, ?, ?, ?)`
        : `INSERT OR REPLACE INTO ${shadow} (key, category, valid_from, valid_until, valid_here) VALUES (?, ?, ?, ?, ?)`,
    );
    const addBatch = db.transaction((entries: readonly E[]) => {
      for (const e of entries) write(insert, e);
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
          this.#statements.setListState.run(version, syncedAt, list);
        })();
        this.#listStates.delete(list);
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
  applyHealthChanges(
    fromVersion: number,
    toVersion: number,
    changes: readonly LaneListChange<LaneHealthEntry>[],
    syncedAt: number,
  ): boolean {
    return this.#applyChanges('health', fromVersion, toVersion, syncedAt, () => {
      for (const c of changes) {
        if (c.op === 'delete') this.#statements.deleteHealth.run(c.key);
        else
          this.#statements.putHealth.run(
            c.value.key,
            statusIndex(c.value.entry),
            c.value.entry.since,
            c.value.entry.until,
          );
      }
    });
  }

  /** Applies a whitelist delta in one transaction (see `applyHealthChanges`). */
  applyWhitelistChanges(
    fromVersion: number,
    toVersion: number,
    changes: readonly LaneListChange<LaneWhitelistEntry>[],
    syncedAt: number,
  ): boolean {
    return this.#applyChanges('whitelist', fromVersion, toVersion, syncedAt, () => {
      for (const c of changes) {
        if (c.op === 'delete') this.#statements.deleteWhitelist.run(c.key);
        else {
          const { key, entry, validHere } = c.value;
          this.#statements.putWhitelist.run(
            key,
            categoryIndex(entry),
            entry.validFrom,
            entry.validUntil,
            validHere ? 1 : 0,
          );
        }
      }
    });
  }

  #applyChanges(
    list: ListName,
    fromVersion: number,
    toVersion: number,
    syncedAt: number,
    apply: () => void,
  ): boolean {
    return this.#db.transaction(() => {
      if (this.listState(list).version !== fromVersion) return false;
      apply();
      this.#statements.setListState.run(toVersion, syncedAt, list);
      this.#listStates.delete(list);
      return true;
    })();
  }

  /**
   * Writes urgent health entries pushed ahead of their delta (an F0 added centrally) without
   * moving the list's version: the delta that follows re-applies them with everything else.
   */
  overlayHealth(entries: readonly LaneHealthEntry[]): void {
    this.#db.transaction(() => {
      for (const e of entries)
        this.#statements.putHealth.run(e.key, statusIndex(e.entry), e.entry.since, e.entry.until);
    })();
  }

  /**
   * Appends a scan or override to the outbox, durably, and returns it with its lane sequence
   * number and UUIDv7. `urgent` marks records (F0/F1 hits) the uploader sends at once.
   */
  appendRecord(record: NewLaneRecord, at: number, urgent = false): LaneRecord {
    const id = uuidV7(at);
    const seq = Number(
      this.#statements.appendRecord.run(id, at, urgent ? 1 : 0, JSON.stringify(record)).lastInsertRowid,
    );
    return { ...record, seq, id, at };
  }

  /**
   * Takes the lane's enrollment in. A store that uploaded for another enrollment (the lane was
   * enrolled again in its old data folder) carries its unsent records over, in one
   * transaction: they keep their ids and local numbers, and the upload numbers them for the new
   * enrollment from 1 (`seq - seq_base`), since the server counts each lane's records from 1;
   * one the old enrollment had already delivered is recognised by its id, never stored twice.
   * The whitelist is made for one checkpoint, so it is fetched again; so are both lists when
   * the list key changed (another fleet). `justEnrolled`: the credentials are new, so records
   * of a store that predates this bookkeeping belong to the enrollment before.
   */
  adoptEnrollment(enrollment: {
    readonly kioskId: string;
    readonly listKeyId: string;
    readonly justEnrolled: boolean;
  }): EnrollmentAdoption {
    return this.#db.transaction((): EnrollmentAdoption => {
      const current = this.getSetting('kiosk_id');
      const keyBefore = this.getSetting('list_key_id');
      this.#putSetting('kiosk_id', enrollment.kioskId);
      this.#putSetting('list_key_id', enrollment.listKeyId);
      const unchanged = { changed: false, carried: 0, listsReset: [] } as const;
      if (current === enrollment.kioskId) return unchanged;
      if (current === null && (!enrollment.justEnrolled || this.lastSeq() === 0)) return unchanged;
      const carried = this.backlog().count;
      this.#putSetting('seq_base', String(this.#localAck()));
      // The old enrollment's checkpoint config is not this one's.
      this.#db.prepare("DELETE FROM settings WHERE name = 'checkpoint'").run();
      const listsReset: ListName[] =
        keyBefore !== null && keyBefore !== enrollment.listKeyId ? ['health', 'whitelist'] : ['whitelist'];
      for (const list of listsReset) {
        this.#db.exec(`DELETE FROM ${TABLES[list]}`);
        this.#statements.resetListState.run(list);
        this.#listStates.delete(list);
      }
      return { changed: true, carried, listsReset };
    })();
  }

  /** The local number of the last record the server acknowledged. */
  #localAck(): number {
    return Number(this.getSetting('acked_through') ?? '0');
  }

  /** The local number before the current enrollment's first record (0 if never re-enrolled). */
  #seqBase(): number {
    return Number(this.getSetting('seq_base') ?? '0');
  }

  /** The highest sequence number the server has acknowledged, as the current enrollment numbers it. */
  ackedThrough(): number {
    return this.#localAck() - this.#seqBase();
  }

  /**
   * Records the server's acknowledgement (`ackedThrough`, as the upload numbered records),
   * taking no more than `sentThrough` (the last record the lane sent): the only way the mark
   * moves, and never backwards. Answers the mark.
   */
  acknowledge(ackedThrough: number, sentThrough = ackedThrough): number {
    const mark = Math.min(ackedThrough, sentThrough) + this.#seqBase();
    if (Number.isSafeInteger(mark) && mark > this.#localAck())
      this.#putSetting('acked_through', String(mark));
    return this.ackedThrough();
  }

  /**
   * The next records to upload, in sequence order, numbered for the current enrollment:
   * those after the acknowledged mark, or after `after` (a server that lost records it had
   * acknowledged, restored from a backup, gets the ones the lane still holds again).
   */
  pendingRecords(limit: number, after = this.ackedThrough()): LaneRecord[] {
    const base = this.#seqBase();
    const rows = this.#statements.pending.all(after + base, limit) as {
      seq: number;
      id: string;
      at: number;
      record: string;
    }[];
    return rows.map((r) => toRecord({ ...r, seq: r.seq - base }));
  }

  /** How many records wait for upload, and whether any is urgent. */
  backlog(): { count: number; urgent: boolean } {
    const row = this.#statements.backlog.get(this.#localAck()) as { n: number; urgent: number | null };
    return { count: row.n, urgent: row.urgent === 1 };
  }

  /** A record still held by the lane (pending, or acknowledged but not yet pruned), by id. */
  findRecord(id: string): LaneRecord | null {
    const row = this.#statements.findRecord.get(id) as
      { seq: number; id: string; at: number; record: string } | undefined;
    return row === undefined ? null : toRecord(row);
  }

  /** The latest records still held (uploaded or not), newest first: the officer's desk after a restart. */
  recentRecords(limit: number): LaneRecord[] {
    return (
      this.#statements.recentRecords.all(limit) as { seq: number; id: string; at: number; record: string }[]
    ).map(toRecord);
  }

  /** The records about a scan (its overrides and acknowledgements), oldest first. */
  overridesOf(scanId: string): LaneRecord[] {
    return (
      this.#statements.overridesOf.all(scanId) as { seq: number; id: string; at: number; record: string }[]
    ).map(toRecord);
  }

  /** The last sequence number ever assigned (0 if none). */
  lastSeq(): number {
    const row = this.#statements.lastSeq.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** Deletes acknowledged records older than `before` (epoch ms); unacknowledged ones never. */
  pruneAcknowledged(before: number): number {
    return this.#statements.prune.run(this.#localAck(), before).changes;
  }
}

function toRecord(row: { seq: number; id: string; at: number; record: string }): LaneRecord {
  return { ...(JSON.parse(row.record) as NewLaneRecord), seq: row.seq, id: row.id, at: row.at };
}

function statusIndex(entry: HealthEntry): number {
  return HEALTH_STATUSES.indexOf(entry.status);
}

function categoryIndex(entry: Pick<WhitelistEntry, 'category'>): number {
  return WHITELIST_CATEGORIES.indexOf(entry.category);
}

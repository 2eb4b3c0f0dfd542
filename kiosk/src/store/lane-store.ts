import type { HealthEntry, LaneRecord, ListName, WhitelistEntry } from '@checkpoint-lane/shared';
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LaneLists, type ListReplacement, type ListState } from './lane-lists.js';
import { OpenVehicleTable, type StoredOpenVehicle } from './lane-open-vehicle.js';
import { PassDirectoryTables, type LanePassDirectory, type NewPassDirectory } from './lane-passes.js';
import {
  LaneOutbox,
  OUTBOX_SETTINGS,
  type Acknowledgement,
  type HeldLaneRecord,
  type NewLaneRecord,
} from './lane-outbox.js';
import { SettingsTable } from './lane-settings.js';
import type { LaneEntry, LaneHealthEntry, LaneListChange, LaneWhitelistEntry } from './list-descriptors.js';
import { runMigrations } from './migrate.js';

export type { ListReplacement, ListState } from './lane-lists.js';
export type { Acknowledgement, HeldLaneRecord, NewLaneRecord } from './lane-outbox.js';
export type { StoredOpenVehicle } from './lane-open-vehicle.js';
export type {
  LanePassDirectory,
  NewPassDirectory,
  StoredPassKey,
  StoredPassRevocation,
} from './lane-passes.js';
export type {
  LaneEntry,
  LaneHealthEntry,
  LaneListChange,
  LaneWhitelistEntry,
  ListEntry,
} from './list-descriptors.js';

/** What taking an enrollment in did to the store (see `LaneStore.adoptEnrollment`). */
export interface EnrollmentAdoption {
  /** The store had uploaded for another enrollment. */
  readonly changed: boolean;
  /** Unsent records carried over to the new enrollment. */
  readonly carried: number;
  /** Lists emptied to be fetched again (the whitelist is per checkpoint; both if K changed). */
  readonly listsReset: readonly ListName[];
}

/**
 * The lane's local store (better-sqlite3): lists as keyed hashes, list versions and sync
 * times (`LaneLists`), the scan outbox and its acknowledged mark (`LaneOutbox`) and settings.
 * Every write that matters is one transaction, so a lookup never sees half a list and a
 * `kill -9` never loses or doubles a scan.
 */
export class LaneStore {
  readonly #db: Database.Database;
  readonly #settings: SettingsTable;
  readonly #lists: LaneLists;
  readonly #outbox: LaneOutbox;
  readonly #vehicle: OpenVehicleTable;
  readonly #passes: PassDirectoryTables;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.defaultSafeIntegers(false);
    this.#settings = new SettingsTable(db);
    this.#lists = new LaneLists(db);
    this.#outbox = new LaneOutbox(db, this.#settings);
    this.#vehicle = new OpenVehicleTable(db);
    this.#passes = new PassDirectoryTables(db);
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
    LaneLists.dropShadows(db);
    return new LaneStore(db);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  getSetting(name: string): string | null {
    return this.#settings.get(name);
  }

  /** Writes a setting; the outbox's own (acknowledged mark, enrollment numbering) only the store writes. */
  setSetting(name: string, value: string): void {
    if (OUTBOX_SETTINGS.has(name)) throw new Error(`the ${name} setting is the outbox's own`);
    this.#settings.put(name, value);
  }

  // ------------------------------------------------------------------ lists

  /** A list's version and last sync time. */
  listState(list: ListName): ListState {
    return this.#lists.state(list);
  }

  /** Records a successful sync that found the list already current. */
  markSynced(list: ListName, at: number): void {
    this.#lists.markSynced(list, at);
  }

  /**
   * The id of the list key a list's entries are keyed with: set with the snapshot that brings
   * them, in the same transaction (0: the fleet-wide key of servers before key scopes).
   */
  listKeyId(list: ListName): number {
    return this.#lists.keyId(list);
  }

  /** Empties a list and sets it back to version 0, never synced (to be fetched again). */
  resetList(list: ListName): void {
    this.#lists.reset(list);
  }

  /** The health list's entry for a subject key, or null. */
  lookupHealth(key: bigint): HealthEntry | null {
    return this.#lists.lookup('health', key);
  }

  /**
   * The whitelist's entry for a subject key, or null. `checkpoints` is null when the entry is
   * valid at this lane's checkpoint and empty when it is not (the lane keeps no other names).
   */
  lookupWhitelist(key: bigint): WhitelistEntry | null {
    return this.#lists.lookup('whitelist', key);
  }

  /** Number of entries in a list (kept with every write: no scan). */
  countEntries(list: ListName): number {
    return this.#lists.count(list);
  }

  /**
   * The newest list version whose urgent entries were overlaid before their delta arrived (0:
   * none pending): until the list reaches it, its count may run ahead of the server's.
   */
  overlayUntil(list: ListName): number {
    return this.#lists.overlayUntil(list);
  }

  /** Starts replacing a list from a snapshot (through a shadow table, swapped in by `commit`). */
  replaceList<L extends ListName>(list: L): ListReplacement<LaneEntry<L>> {
    return this.#lists.replace(list);
  }

  /** `replaceList('health')`. */
  replaceHealthList(): ListReplacement<LaneHealthEntry> {
    return this.#lists.replace('health');
  }

  /** `replaceList('whitelist')`. */
  replaceWhitelist(): ListReplacement<LaneWhitelistEntry> {
    return this.#lists.replace('whitelist');
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
    return this.#lists.applyChanges(list, fromVersion, toVersion, changes, syncedAt);
  }

  /**
   * Writes urgent health entries pushed ahead of their delta (an F0 added centrally) without
   * moving the list's version: the delta that follows re-applies them with everything else.
   */
  overlayHealth(entries: readonly LaneHealthEntry[], untilVersion = 0): void {
    this.#lists.overlay('health', entries, untilVersion);
  }

  // ------------------------------------------------------------------ pass directory

  /**
   * The pass directory held (keys that sign lane passes, revoked pass ids), from memory: the
   * same object until a new one is taken.
   */
  passDirectory(): LanePassDirectory {
    return this.#passes.get();
  }

  /** Takes a new pass directory (verified by the caller) in one transaction. */
  replacePassDirectory(next: NewPassDirectory, syncedAt: number): LanePassDirectory {
    return this.#passes.replace(next, syncedAt);
  }

  /** Records that the server answered the pass directory already held. */
  markPassDirectorySynced(syncedAt: number): void {
    this.#passes.markSynced(syncedAt);
  }

  // ------------------------------------------------------------------ outbox

  /**
   * Appends a scan or override to the outbox, durably, and returns it with its lane sequence
   * number and UUIDv7. `urgent` marks records (F0/F1 hits) the uploader sends at once. `id`: a
   * UUIDv7 the caller made first (a plate scan in vehicle mode names itself as its vehicle).
   */
  appendRecord(record: NewLaneRecord, at: number, urgent = false, id?: string): LaneRecord {
    return this.#outbox.append(record, at, urgent, id);
  }

  /**
   * Appends a plate scan that opens a vehicle (vehicle mode) and makes that vehicle the open
   * one, in one transaction: a lane killed at any moment either has the plate and its vehicle
   * or neither. The record names itself as its vehicle (`record.vehicleId === id`).
   */
  appendPlateScan(
    record: NewLaneRecord,
    at: number,
    urgent: boolean,
    id: string,
    greenLane: boolean,
  ): LaneRecord {
    if (record.type !== 'scan' || record.vehicleId !== id)
      throw new Error('a plate scan that opens a vehicle names itself as its vehicle');
    return this.#db.transaction(() => {
      const appended = this.#outbox.append(record, at, urgent, id);
      this.#vehicle.put({ id, openedAt: at, greenLane });
      return appended;
    })();
  }

  /** The vehicle open at this lane when it stopped (vehicle mode), or null. */
  openVehicle(): StoredOpenVehicle | null {
    return this.#vehicle.get();
  }

  /** Vehicle `id` closed (passed, timed out, vehicle mode off); a newer open one stays. */
  closeVehicle(id: string): void {
    this.#vehicle.remove(id);
  }

  /**
   * A vehicle's records: its plate scan (the record `vehicleId`), the scans that carry its id
   * and the overrides and acknowledgements of those, oldest first, with what only the lane keeps
   * (at most `limit` records read from the plate on). Empty when the plate scan is no longer held.
   */
  vehicleRecords(vehicleId: string, limit = 10_000): HeldLaneRecord[] {
    const records = this.#outbox.from(vehicleId, limit);
    const ids = new Set<string>();
    return records.filter((r) => {
      if (r.type === 'scan') {
        if (r.vehicleId !== vehicleId) return false;
        ids.add(r.id);
        return true;
      }
      return ids.has(r.scanId);
    });
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
      const current = this.#settings.get('kiosk_id');
      const keyBefore = this.#settings.get('list_key_id');
      this.#settings.put('kiosk_id', enrollment.kioskId);
      this.#settings.put('list_key_id', enrollment.listKeyId);
      const unchanged = { changed: false, carried: 0, listsReset: [] } as const;
      if (current === enrollment.kioskId) return unchanged;
      if (current === null && (!enrollment.justEnrolled || this.lastSeq() === 0)) return unchanged;
      const carried = this.#outbox.renumberForNewEnrollment();
      // The old enrollment's checkpoint config is not this one's, nor is a vehicle open there.
      this.#settings.remove('checkpoint');
      this.#vehicle.clear();
      // Another enrollment may be another fleet's server: its pass directory is taken whatever its version.
      this.#passes.clear();
      const listsReset: ListName[] =
        keyBefore !== null && keyBefore !== enrollment.listKeyId ? ['health', 'whitelist'] : ['whitelist'];
      for (const list of listsReset) this.#lists.reset(list);
      return { changed: true, carried, listsReset };
    })();
  }

  /** The highest sequence number the server has acknowledged, as the current enrollment numbers it. */
  ackedThrough(): number {
    return this.#outbox.ackedThrough();
  }

  /**
   * Records the server's acknowledgement (`ackedThrough`, as the upload numbered records),
   * taking no more than `sentThrough` (the last record the lane sent): the only way the mark
   * moves, and never backwards. Answers the mark.
   */
  acknowledge(ackedThrough: number, sentThrough = ackedThrough): number {
    return this.#outbox.takeAcknowledgement(ackedThrough, sentThrough).mark;
  }

  /** `acknowledge`, also telling the uploader whether the server fell behind the lane's mark. */
  takeAcknowledgement(ackedThrough: number, sentThrough = ackedThrough): Acknowledgement {
    return this.#outbox.takeAcknowledgement(ackedThrough, sentThrough);
  }

  /**
   * The next records to upload, in sequence order, numbered for the current enrollment:
   * those after the acknowledged mark, or after `after` (a server that lost records it had
   * acknowledged, restored from a backup, gets the ones the lane still holds again).
   */
  pendingRecords(limit: number, after?: number): LaneRecord[] {
    return this.#outbox.pending(limit, after);
  }

  /** How many records wait for upload, and whether any is urgent. */
  backlog(): { count: number; urgent: boolean } {
    return this.#outbox.backlog();
  }

  /** A record still held by the lane (pending, or acknowledged but not yet pruned), by id. */
  findRecord(id: string): LaneRecord | null {
    return this.#outbox.find(id);
  }

  /** The latest records still held (uploaded or not), newest first: the officer's desk after a restart. */
  recentRecords(limit: number): LaneRecord[] {
    return this.#outbox.recent(limit);
  }

  /** The records about a scan (its overrides and acknowledgements), oldest first. */
  overridesOf(scanId: string): LaneRecord[] {
    return this.#outbox.overridesOf(scanId);
  }

  /** The last sequence number ever assigned (0 if none). */
  lastSeq(): number {
    return this.#outbox.lastSeq();
  }

  /** Deletes acknowledged records older than `before` (epoch ms); unacknowledged ones never. */
  pruneAcknowledged(before: number): number {
    return this.#outbox.prune(before);
  }
}

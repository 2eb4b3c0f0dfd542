import type { HealthStatusCode, LaneRecord } from '@checkpoint-lane/shared';
import type Database from 'better-sqlite3';
import type { SettingsTable } from './lane-settings.js';
import { uuidV7 } from './uuid-v7.js';

/**
 * What the lane keeps beside a record in its outbox and never uploads (column
 * `outbox.health_status`, lane migration 004).
 */
export interface LaneOnlyFacts {
  /**
   * A health-blocked scan: the status of the health entry the lane decided with (the desk puts
   * an F0 first again after a restart without looking the subject up: scans carry no subject
   * key the lane's lists open).
   */
  readonly laneHealthStatus?: HealthStatusCode | null;
}

/** A lane record without the numbers the outbox assigns, with what only the lane keeps. */
export type NewLaneRecord = (LaneRecord extends infer R
  ? R extends LaneRecord
    ? Omit<R, 'seq' | 'id' | 'at'>
    : never
  : never) &
  LaneOnlyFacts;

/** A record as the outbox holds it: what is uploaded, and what only the lane keeps. */
export type HeldLaneRecord = LaneRecord & LaneOnlyFacts;

/** The health status the lane kept beside a held record (`LaneStore.recentRecords`), or null. */
export function laneHealthStatusOf(record: LaneRecord): HealthStatusCode | null {
  return (record as HeldLaneRecord).laneHealthStatus ?? null;
}

/** What an upload answer did to the acknowledged mark (see `LaneOutbox.takeAcknowledgement`). */
export interface Acknowledgement {
  /** The mark after the answer, as the current enrollment numbers records. */
  readonly mark: number;
  /** The mark before the answer. */
  readonly previous: number;
  /**
   * The server holds less than the lane's mark says (it was restored from a backup): the
   * records after its answer that the lane still holds must go again. The mark stays.
   */
  readonly serverBehind: boolean;
}

/** Settings only the outbox writes: the acknowledged mark and the enrollment numbering. */
export const OUTBOX_SETTINGS: ReadonlySet<string> = new Set([
  'acked_through',
  'seq_base',
  'kiosk_id',
  'list_key_id',
]);

interface RecordRow {
  seq: number;
  id: string;
  at: number;
  record: string;
}

interface HeldRow extends RecordRow {
  health_status: HealthStatusCode | null;
}

/**
 * The scan journal and upload queue: every scan and override, durably numbered, kept until
 * the server acknowledges it. It owns the acknowledgement rules: the mark (`acked_through`)
 * moves only through `takeAcknowledgement`, never backwards and never past what was sent.
 */
export class LaneOutbox {
  readonly #settings: SettingsTable;
  readonly #s;

  constructor(db: Database.Database, settings: SettingsTable) {
    this.#settings = settings;
    this.#s = {
      append: db.prepare<[string, number, number, string, string | null]>(
        'INSERT INTO outbox (id, at, urgent, record, health_status) VALUES (?, ?, ?, ?, ?)',
      ),
      pending: db.prepare<[number, number]>(
        'SELECT seq, id, at, record FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      backlog: db.prepare<[number]>('SELECT count(*) AS n, max(urgent) AS urgent FROM outbox WHERE seq > ?'),
      prune: db.prepare<[number, number]>('DELETE FROM outbox WHERE seq <= ? AND at < ?'),
      lastSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
      find: db.prepare<[string]>('SELECT seq, id, at, record FROM outbox WHERE id = ?'),
      recent: db.prepare<[number]>(
        'SELECT seq, id, at, record, health_status FROM outbox ORDER BY seq DESC LIMIT ?',
      ),
      fromRecord: db.prepare<[string, number]>(
        `SELECT seq, id, at, record, health_status FROM outbox
           WHERE seq >= (SELECT seq FROM outbox WHERE id = ?) ORDER BY seq LIMIT ?`,
      ),
      overridesOf: db.prepare<[string]>(
        "SELECT seq, id, at, record FROM outbox WHERE json_extract(record, '$.scanId') = ? ORDER BY seq",
      ),
    };
  }

  /**
   * Appends a record durably; returns it (without the lane-only facts, which go to their own
   * column, out of the uploaded JSON) with its lane sequence number and UUIDv7 (`id` when the
   * caller made it first: a plate scan in vehicle mode names itself as its vehicle).
   */
  append(record: NewLaneRecord, at: number, urgent: boolean, id: string = uuidV7(at)): LaneRecord {
    const { laneHealthStatus = null, ...upload } = record;
    const seq = Number(
      this.#s.append.run(id, at, urgent ? 1 : 0, JSON.stringify(upload), laneHealthStatus).lastInsertRowid,
    );
    return { ...(upload as LaneRecord), seq, id, at };
  }

  /** The local number of the last record the server acknowledged. */
  #localAck(): number {
    return Number(this.#settings.get('acked_through') ?? '0');
  }

  /** The local number before the current enrollment's first record (0 if never re-enrolled). */
  #seqBase(): number {
    return Number(this.#settings.get('seq_base') ?? '0');
  }

  /** The highest sequence number the server has acknowledged, as the current enrollment numbers it. */
  ackedThrough(): number {
    return this.#localAck() - this.#seqBase();
  }

  /**
   * Takes an upload answer in: the server holds every record through `ackedThrough` (as the
   * upload numbered them). The mark takes no more than `sentThrough` (the last record the lane
   * sent, so a server that counts differently cannot make the lane drop unsent records), never
   * moves backwards, and is written nowhere else.
   */
  takeAcknowledgement(ackedThrough: number, sentThrough = ackedThrough): Acknowledgement {
    const previous = this.ackedThrough();
    const mark = Math.min(ackedThrough, sentThrough) + this.#seqBase();
    if (Number.isSafeInteger(mark) && mark > this.#localAck())
      this.#settings.put('acked_through', String(mark));
    return { mark: this.ackedThrough(), previous, serverBehind: ackedThrough < previous };
  }

  /**
   * Starts numbering for a new enrollment after the acknowledged mark: the unsent records are
   * carried over and numbered from 1. Answers how many were carried.
   */
  renumberForNewEnrollment(): number {
    const carried = this.backlog().count;
    this.#settings.put('seq_base', String(this.#localAck()));
    return carried;
  }

  /**
   * The next records to upload, in sequence order, numbered for the current enrollment:
   * those after the acknowledged mark, or after `after` (a server that lost records it had
   * acknowledged, restored from a backup, gets the ones the lane still holds again).
   */
  pending(limit: number, after = this.ackedThrough()): LaneRecord[] {
    const base = this.#seqBase();
    const rows = this.#s.pending.all(after + base, limit) as RecordRow[];
    return rows.map((r) => toRecord({ ...r, seq: r.seq - base }));
  }

  /** How many records wait for upload, and whether any is urgent. */
  backlog(): { count: number; urgent: boolean } {
    const row = this.#s.backlog.get(this.#localAck()) as { n: number; urgent: number | null };
    return { count: row.n, urgent: row.urgent === 1 };
  }

  /** A record still held (pending, or acknowledged but not yet pruned), by id. */
  find(id: string): LaneRecord | null {
    const row = this.#s.find.get(id) as RecordRow | undefined;
    return row === undefined ? null : toRecord(row);
  }

  /** The latest records still held, newest first, with what only the lane keeps. */
  recent(limit: number): HeldLaneRecord[] {
    return (this.#s.recent.all(limit) as HeldRow[]).map((row) => ({
      ...toRecord(row),
      laneHealthStatus: row.health_status,
    }));
  }

  /**
   * Record `id` and those after it, oldest first, with what only the lane keeps (at most
   * `limit`); none when `id` is no longer held.
   */
  from(id: string, limit: number): HeldLaneRecord[] {
    return (this.#s.fromRecord.all(id, limit) as HeldRow[]).map((row) => ({
      ...toRecord(row),
      laneHealthStatus: row.health_status,
    }));
  }

  /** The records about a scan (its overrides and acknowledgements), oldest first. */
  overridesOf(scanId: string): LaneRecord[] {
    return (this.#s.overridesOf.all(scanId) as RecordRow[]).map(toRecord);
  }

  /** The last sequence number ever assigned (0 if none). */
  lastSeq(): number {
    const row = this.#s.lastSeq.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** Deletes acknowledged records older than `before` (epoch ms); unacknowledged ones never. */
  prune(before: number): number {
    return this.#s.prune.run(this.#localAck(), before).changes;
  }
}

function toRecord(row: RecordRow): LaneRecord {
  return { ...(JSON.parse(row.record) as NewLaneRecord), seq: row.seq, id: row.id, at: row.at };
}

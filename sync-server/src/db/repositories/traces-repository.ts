import {
  bySubjectKey,
  checkedProgress,
  checkPage,
  checkParams,
  decodeEvidence,
  encodeEvidence,
  encodeParams,
  firstAt,
  mergeWindows,
  sortedKeys,
  toSummary,
  type TraceRow,
} from '../store/trace-rows.js';
import type {
  StoredTraceContact,
  TraceContact,
  TraceContactQuery,
  TraceScan,
  TraceScansStore,
  TracesStore,
  TraceSummary,
  TraceWindow,
} from '../store/traces-store.js';
import type { Db } from '../open-database.js';

/** A scan row as the queries below select it (statements in safe-integer mode: integers are bigints). */
interface ScanRow {
  id: string;
  kiosk_id: string;
  checkpoint_id: string;
  at: bigint;
  subject_key: bigint | null;
  subject_sealed: string | null;
  format: string | null;
  vehicle_id: string | null;
}

const SCAN_COLUMNS = `s.id, k.id AS kiosk_id, s.checkpoint_id, s.at, s.subject_key, s.subject_sealed, s.format,
  s.vehicle_id FROM scans s JOIN kiosks k ON k.no = s.kiosk_no`;

function toScan(r: ScanRow): TraceScan {
  return {
    id: r.id,
    kioskId: r.kiosk_id,
    checkpointId: r.checkpoint_id,
    at: Number(r.at),
    subjectKey: r.subject_key,
    subjectSealed: r.subject_sealed,
    format: r.format,
    vehicleId: r.vehicle_id,
  };
}

/**
 * Contacts one SQLite transaction of `finish` or `delete` stores or deletes: a few milliseconds of
 * synchronous work each on an idle machine, so requests are served between them.
 */
const SQLITE_CONTACT_BATCH = 500;

/** Scans one SQLite retention transaction erases the subject of at most (each is synchronous work). */
const SQLITE_ERASE_BATCH = 1_000;

/** A macrotask turn: lets the event loop serve requests between batches of synchronous work. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Tracing's reads of the scans over SQLite (`scans` with `vehicle_id`, migration 007). Each read
 * is synchronous underneath (one statement per subject, window or vehicle); the trace engine
 * keeps its calls small and yields between them.
 */
export class SqliteTraceScans implements TraceScansStore {
  constructor(private readonly db: Db) {}

  scansOfSubjectsSync(keys: readonly bigint[], from: number, to: number): TraceScan[] {
    const st = this.db
      .prepare(`SELECT ${SCAN_COLUMNS} WHERE s.subject_key = ? AND s.at BETWEEN ? AND ? ORDER BY s.at, s.no`)
      .safeIntegers(true);
    const out: TraceScan[] = [];
    for (const key of sortedKeys(keys))
      for (const r of st.all(key, from, to) as ScanRow[]) out.push(toScan(r));
    return out;
  }

  scansNearSync(windows: readonly TraceWindow[]): TraceScan[] {
    // Merged windows are disjoint: each scan is read once, through (checkpoint_id, at).
    const st = this.db
      .prepare(
        `SELECT ${SCAN_COLUMNS} WHERE s.checkpoint_id = ? AND s.at BETWEEN ? AND ? ORDER BY s.at, s.no`,
      )
      .safeIntegers(true);
    const out: TraceScan[] = [];
    for (const w of mergeWindows(windows))
      for (const r of st.all(w.checkpointId, w.from, w.to) as ScanRow[]) out.push(toScan(r));
    return out;
  }

  scansInVehiclesSync(vehicleIds: readonly string[]): TraceScan[] {
    const inVehicle = this.db
      .prepare(`SELECT ${SCAN_COLUMNS} WHERE s.vehicle_id = ? ORDER BY s.at, s.no`)
      .safeIntegers(true);
    const plate = this.db.prepare(`SELECT ${SCAN_COLUMNS} WHERE s.id = ?`).safeIntegers(true);
    const byId = new Map<string, TraceScan>();
    for (const v of new Set(vehicleIds)) {
      for (const r of [...(plate.all(v) as ScanRow[]), ...(inVehicle.all(v) as ScanRow[])])
        if (!byId.has(r.id)) byId.set(r.id, toScan(r));
    }
    return [...byId.values()];
  }

  /** One batch of retention: erases up to `SQLITE_ERASE_BATCH` old scans' subjects; answers how many. */
  eraseBatch(before: number): number {
    // scans_subject_held_at holds only scans that still have a subject: erased ones leave it.
    return this.db
      .prepare(
        `UPDATE scans SET subject_key = NULL, subject_sealed = NULL WHERE no IN (
           SELECT no FROM scans WHERE at < ? AND (subject_key IS NOT NULL OR subject_sealed IS NOT NULL) LIMIT ?)`,
      )
      .run(before, SQLITE_ERASE_BATCH).changes;
  }

  scansOfSubjects(keys: readonly bigint[], from: number, to: number): Promise<TraceScan[]> {
    return settle(() => this.scansOfSubjectsSync(keys, from, to));
  }

  scansNear(windows: readonly TraceWindow[]): Promise<TraceScan[]> {
    return settle(() => this.scansNearSync(windows));
  }

  scansInVehicles(vehicleIds: readonly string[]): Promise<TraceScan[]> {
    return settle(() => this.scansInVehiclesSync(vehicleIds));
  }

  /** Erases in batches, each its own short transaction, yielding to the event loop between them. */
  async eraseSubjectsBefore(before: number): Promise<number> {
    if (!Number.isSafeInteger(before)) throw new RangeError(`before must be epoch ms, not ${before}`);
    let total = 0;
    for (;;) {
      const n = this.eraseBatch(before);
      total += n;
      if (n < SQLITE_ERASE_BATCH) break;
      await yieldToEventLoop();
    }
    // Their pass ids too (a pass id joins to a declaration's person): in batches through
    // scans_pass_at, which holds only scans that still have one. Not counted in the answer.
    const passIds = this.db.prepare(
      `UPDATE scans SET pass_id = NULL WHERE no IN (
         SELECT no FROM scans WHERE pass_id IS NOT NULL AND at < ? LIMIT ?)`,
    );
    while (passIds.run(before, SQLITE_ERASE_BATCH).changes === SQLITE_ERASE_BATCH) await yieldToEventLoop();
    // Alerts of those scans keep their time, lane and checkpoint, not the subject's key; in batches
    // through alerts_subject_held_at (migration 009), as the scans.
    const alerts = this.db.prepare(
      `UPDATE alerts SET subject_key = NULL WHERE id IN (
         SELECT id FROM alerts WHERE at < ? AND subject_key IS NOT NULL LIMIT ?)`,
    );
    while (alerts.run(before, SQLITE_ERASE_BATCH).changes === SQLITE_ERASE_BATCH) await yieldToEventLoop();
    return total;
  }
}

interface ContactRow {
  subject_key: bigint;
  subject_sealed: string | null;
  format: string | null;
  hop: bigint;
  via: 'lane' | 'vehicle';
  evidence: string;
  evidence_count: bigint;
}

/**
 * The traces over SQLite (migration 007): one row per trace, its contacts (`trace_contacts`) and
 * its index subjects' seals (`trace_subjects`), both deleted with it. Each method is one
 * transaction but `finish` and `delete`, which work in batches (see them).
 */
export class TracesRepository implements TracesStore {
  constructor(private readonly db: Db) {}

  createSync(trace: Parameters<TracesStore['create']>[0]): void {
    checkParams(trace.params);
    const subject = this.db.prepare(
      'INSERT OR REPLACE INTO trace_subjects (trace_id, subject_key, subject_sealed) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO traces (id, created_at, created_by, params, status, progress, updated_at)
           VALUES (?, ?, ?, ?, 'running', 0, ?)`,
        )
        .run(trace.id, trace.createdAt, trace.createdBy, encodeParams(trace.params), trace.createdAt);
      for (const [key, sealed] of trace.indexSeals) subject.run(trace.id, key, sealed);
    })();
  }

  progressSync(id: string, progress: number, at: number): boolean {
    const p = checkedProgress(progress);
    // A finished trace keeps its figures; the answer only says whether it is still there.
    return (
      this.db
        .prepare(
          `UPDATE traces SET progress = CASE WHEN status = 'running' THEN ? ELSE progress END,
             updated_at = CASE WHEN status = 'running' THEN ? ELSE updated_at END WHERE id = ?`,
        )
        .run(p, at, id).changes > 0
    );
  }

  private isDone(id: string): boolean {
    return (
      this.db.prepare("SELECT 1 FROM traces WHERE id = ? AND status = 'done'").pluck().get(id) !== undefined
    );
  }

  private exists(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM traces WHERE id = ?').pluck().get(id) !== undefined;
  }

  /** Deletes up to `SQLITE_CONTACT_BATCH` of a trace's contacts; answers how many. */
  private deleteContactsBatch(id: string): number {
    return this.db
      .prepare(
        `DELETE FROM trace_contacts WHERE trace_id = ? AND subject_key IN (
           SELECT subject_key FROM trace_contacts WHERE trace_id = ? LIMIT ?)`,
      )
      .run(id, id, SQLITE_CONTACT_BATCH).changes;
  }

  /** Deletes a trace's contacts batch by batch, yielding to the event loop between batches. */
  private async deleteContacts(id: string): Promise<void> {
    while (this.deleteContactsBatch(id) === SQLITE_CONTACT_BATCH) await yieldToEventLoop();
  }

  /**
   * Stores the contacts `SQLITE_CONTACT_BATCH` per transaction, yielding to the event loop between
   * batches (400,000 contacts take seconds of synchronous work: one transaction would stall every
   * request meanwhile), then marks the trace done in a last transaction. Atomic all the same for
   * readers: `contacts` and `seals` read a trace's contacts only once it is done, and a failure
   * removes the contacts stored so far before it is thrown.
   */
  async finish(
    id: string,
    found: readonly TraceContact[],
    at: number,
    hop2Skipped: number | null = null,
  ): Promise<boolean> {
    if (!this.exists(id)) return false;
    const contacts = bySubjectKey(found);
    const one = this.db.prepare(
      `INSERT INTO trace_contacts (trace_id, subject_key, subject_sealed, format, hop, via, evidence, evidence_count, first_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const batch = this.db.transaction((from: number): boolean => {
      // Deleted meanwhile: its contacts went with it, and none is added.
      if (!this.exists(id)) return false;
      for (const c of contacts.slice(from, from + SQLITE_CONTACT_BATCH)) {
        one.run(
          id,
          c.subjectKey,
          c.subjectSealed,
          c.format,
          c.hop,
          c.via,
          encodeEvidence(c.evidence),
          c.evidenceCount ?? c.evidence.length,
          firstAt(c),
        );
      }
      return true;
    });
    try {
      // A trace finished again (a retried finish) gets the new contacts only.
      await this.deleteContacts(id);
      for (let i = 0; i < contacts.length; i += SQLITE_CONTACT_BATCH) {
        if (!batch(i)) return false;
        await yieldToEventLoop();
      }
      return (
        this.db
          .prepare(
            `UPDATE traces SET status = 'done', progress = 1, updated_at = ?, finished_at = ?, error = NULL,
               contact_count = ?, hop2_skipped = ? WHERE id = ?`,
          )
          .run(at, at, contacts.length, hop2Skipped, id).changes > 0
      );
    } catch (err) {
      await this.deleteContacts(id).catch(() => undefined);
      throw err;
    }
  }

  failSync(id: string, error: string, at: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE traces SET status = 'failed', error = ?, updated_at = ?, finished_at = ?
           WHERE id = ? AND status = 'running'`,
        )
        .run(error, at, at, id).changes > 0
    );
  }

  getSync(id: string): TraceSummary | null {
    const r = this.db.prepare('SELECT * FROM traces WHERE id = ?').get(id) as TraceRow | undefined;
    return r === undefined ? null : toSummary(r);
  }

  listSync(limit: number): TraceSummary[] {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new RangeError(`limit must be 0 or more, not ${limit}`);
    return (
      this.db
        .prepare('SELECT * FROM traces ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as TraceRow[]
    ).map(toSummary);
  }

  contactsSync(id: string, q: TraceContactQuery): { total: number; contacts: StoredTraceContact[] } {
    checkPage(q);
    // A trace's contacts are read once it is done (`finish` stores them in several transactions).
    if (!this.isDone(id)) return { total: 0, contacts: [] };
    const where = `trace_id = @id AND (@hop IS NULL OR hop = @hop) AND (@via IS NULL OR via = @via)
      AND (@cp IS NULL OR EXISTS (SELECT 1 FROM json_each(evidence) e WHERE json_extract(e.value, '$.checkpointId') = @cp))`;
    const params = { id, hop: q.hop ?? null, via: q.via ?? null, cp: q.checkpointId ?? null };
    // Unfiltered, the count stored when the trace finished: counting a 360,000-contact trace's
    // rows is a few hundred ms of synchronous work on every page asked.
    const unfiltered = params.hop === null && params.via === null && params.cp === null;
    const stored = unfiltered
      ? (this.db.prepare('SELECT contact_count FROM traces WHERE id = ?').pluck().get(id) as number | null)
      : null;
    const total =
      stored ??
      (this.db.prepare(`SELECT count(*) FROM trace_contacts WHERE ${where}`).pluck().get(params) as number);
    const rows = this.db
      .prepare(
        `SELECT subject_key, subject_sealed, format, hop, via, evidence, evidence_count FROM trace_contacts
         WHERE ${where} ORDER BY hop, first_at, subject_key LIMIT @limit OFFSET @offset`,
      )
      .safeIntegers(true)
      .all({ ...params, limit: q.limit, offset: q.offset }) as ContactRow[];
    return {
      total,
      contacts: rows.map((r) => ({
        subjectKey: r.subject_key,
        subjectSealed: r.subject_sealed,
        format: r.format,
        hop: Number(r.hop) as 1 | 2,
        via: r.via,
        evidence: decodeEvidence(r.evidence),
        evidenceCount: Number(r.evidence_count),
      })),
    };
  }

  sealsSync(id: string, keys: readonly bigint[]): Map<bigint, string | null> {
    const index = this.db
      .prepare('SELECT subject_sealed FROM trace_subjects WHERE trace_id = ? AND subject_key = ?')
      .pluck();
    const contact = this.db
      .prepare('SELECT subject_sealed FROM trace_contacts WHERE trace_id = ? AND subject_key = ?')
      .pluck();
    const out = new Map<bigint, string | null>();
    this.db.transaction(() => {
      // Contacts' seals once the trace is done (`finish` stores them in several transactions).
      const done = this.isDone(id);
      for (const key of new Set(keys)) {
        const i = index.get(id, key) as string | null | undefined;
        const c =
          done && (i === undefined || i === null)
            ? (contact.get(id, key) as string | null | undefined)
            : undefined;
        if (i === undefined && c === undefined) continue;
        out.set(key, i ?? c ?? null);
      }
    })();
    return out;
  }

  /** Deletes the contacts batch by batch (yielding between batches), then the trace and the rest. */
  async delete(id: string): Promise<boolean> {
    if (!this.exists(id)) return false;
    await this.deleteContacts(id);
    return this.db.prepare('DELETE FROM traces WHERE id = ?').run(id).changes > 0;
  }

  create(trace: Parameters<TracesStore['create']>[0]): Promise<void> {
    return settle(() => {
      this.createSync(trace);
    });
  }
  progress(id: string, progress: number, at: number): Promise<boolean> {
    return settle(() => this.progressSync(id, progress, at));
  }
  fail(id: string, error: string, at: number): Promise<boolean> {
    return settle(() => this.failSync(id, error, at));
  }
  get(id: string): Promise<TraceSummary | null> {
    return settle(() => this.getSync(id));
  }
  list(limit: number): Promise<TraceSummary[]> {
    return settle(() => this.listSync(limit));
  }
  contacts(id: string, q: TraceContactQuery): Promise<{ total: number; contacts: StoredTraceContact[] }> {
    return settle(() => this.contactsSync(id, q));
  }
  seals(id: string, keys: readonly bigint[]): Promise<Map<bigint, string | null>> {
    return settle(() => this.sealsSync(id, keys));
  }
}

/** `run()`'s value as a promise; what it throws, as a rejected one. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

import type { LaneRecord } from '@checkpoint-lane/shared';
import { subjectKeyFromHex } from '../../lists/subject-key.js';
import type { Db } from '../open-database.js';

/** An alert: a scan at a lane that hit a blocking health status. */
export interface AlertRecord {
  readonly id: number;
  readonly at: number;
  readonly receivedAt: number;
  readonly kioskId: string;
  /** The lane's name (as enrolled). */
  readonly kioskName: string;
  readonly checkpointId: string;
  readonly scanId: string;
  readonly subjectKey: string | null;
  /** The subject's health status on the server's list now (null if not listed). */
  readonly status: string | null;
  /** Who raised it: the lane, or the server from its newer health list. */
  readonly raisedBy: 'lane' | 'server';
  /** When an admin acknowledged it (epoch ms), or null. */
  readonly ackedAt: number | null;
  /** Who acknowledged it first, or null. */
  readonly ackedBy: string | null;
}

/** An override as the scan search shows it. */
export interface OverrideView {
  readonly id: string;
  readonly at: number;
  readonly originalDecision: string;
  readonly decision: string;
  readonly officerId: string;
  readonly supervisorId: string | null;
  readonly reason: string;
  readonly note: string;
}

/** A stored scan. */
export interface ScanView {
  /** Arrival number on this server (the search cursor). */
  readonly no: number;
  readonly id: string;
  readonly kioskId: string;
  /** The lane's name (as enrolled). */
  readonly kioskName: string;
  readonly seq: number;
  readonly checkpointId: string;
  readonly at: number;
  readonly receivedAt: number;
  readonly source: string;
  readonly format: string | null;
  readonly subjectKey: string | null;
  readonly decision: string;
  readonly reasons: string[];
  readonly warnings: string[];
  readonly alert: boolean;
  readonly overrides: OverrideView[];
}

/** Scan filters shared by the search and the CSV export. */
export interface ScanFilter {
  readonly subjectKey?: bigint;
  readonly checkpointId?: string;
  readonly kioskId?: string;
  /** Lane scan time, inclusive (epoch ms). */
  readonly from?: number;
  /** Lane scan time, exclusive (epoch ms). */
  readonly to?: number;
  readonly decision?: string;
}

/** Scan search: filters, a page size and a cursor. */
export interface ScanQuery extends ScanFilter {
  readonly limit: number;
  /** Continue after this arrival number (newest first). */
  readonly before?: number;
}

/** One scan as the CSV export writes it: the scan and its latest override, if any. */
export interface ScanExportRow {
  readonly no: number;
  readonly receivedAt: number;
  readonly at: number;
  readonly checkpointId: string;
  readonly kioskName: string;
  readonly source: string;
  readonly format: string | null;
  readonly subjectKey: string | null;
  readonly decision: string;
  readonly reasons: string;
  readonly warnings: string;
  readonly alert: boolean;
  readonly scanId: string;
  readonly override: {
    readonly decision: string;
    readonly officerId: string;
    readonly supervisorId: string | null;
    readonly reason: string;
    readonly note: string;
  } | null;
}

/** Scans per checkpoint and hour, by lane decision, as the charts read them. */
export interface HourlyCount {
  readonly checkpointId: string;
  readonly hour: number;
  readonly decision: string;
  readonly count: number;
}

/** One hour of scans, for the roll-up. */
export const HOUR_MS = 3_600_000;

const ALERT_COLUMNS = `a.id, a.at, a.received_at, a.kiosk_id, k.name AS kiosk_name, a.checkpoint_id, a.scan_id,
  CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex, h.status,
  a.raised_by, a.acked_at, a.acked_by`;
const ALERT_FROM = `FROM alerts a JOIN kiosks k ON k.id = a.kiosk_id
  LEFT JOIN health_entries h ON h.subject_key = a.subject_key`;

/**
 * The WHERE clause of the scan filters with only the conditions given, and its parameters.
 * (`@x IS NULL OR col = @x` would keep SQLite off the indexes: every search and export page
 * became a full scan.)
 */
export function scanWhere(
  f: ScanFilter,
  before: number | undefined,
): { sql: string; params: Record<string, string | number | bigint> } {
  const clauses: string[] = [];
  const params: Record<string, string | number | bigint> = {};
  const add = (clause: string, name: string, value: string | number | bigint | undefined): void => {
    if (value === undefined) return;
    clauses.push(clause);
    params[name] = value;
  };
  add('s.subject_key = @key', 'key', f.subjectKey);
  add('s.checkpoint_id = @checkpoint', 'checkpoint', f.checkpointId);
  add('k.id = @kiosk', 'kiosk', f.kioskId);
  add('s.at >= @from', 'from', f.from);
  add('s.at < @to', 'to', f.to);
  add('s.decision = @decision', 'decision', f.decision);
  add('s.no < @before', 'before', before);
  return { sql: clauses.length === 0 ? '1' : clauses.join(' AND '), params };
}

/** What one upload did. */
export interface IngestResult {
  readonly ackedThrough: number;
  readonly inserted: number;
  readonly alerts: AlertRecord[];
}

interface ScanRow {
  no: number;
  kiosk_id: string;
  kiosk_name: string;
  seq: number;
  id: string;
  checkpoint_id: string;
  at: number;
  received_at: number;
  source: string;
  format: string | null;
  key_hex: string | null;
  decision: string;
  reasons: string;
  warnings: string;
  alert: number;
}

/** Scans, overrides and alerts uploaded by lanes. */
export class ScansRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores a batch idempotently in one transaction: a record whose (kiosk, seq) or id is
   * already held is ignored, so re-sending is always safe. Answers the highest contiguous
   * sequence held for the kiosk. A new scan creates one alert when the lane flagged it, or
   * when the server's health list blocks its subject at this checkpoint at the scan's time
   * (the lane's list may have been older): the server is the authority.
   */
  ingest(
    kioskId: string,
    checkpointId: string,
    records: readonly LaneRecord[],
    now: number,
    blockingStatuses: readonly string[] = [],
  ): IngestResult {
    const insScan = this.db.prepare(
      `INSERT OR IGNORE INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
         subject_sealed, decision, reasons, warnings, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insOverride = this.db.prepare(
      `INSERT OR IGNORE INTO overrides (kiosk_no, seq, id, scan_id, at, received_at, original_decision, decision,
         officer_id, supervisor_id, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const scanSeqHeld = this.db.prepare('SELECT 1 FROM scans WHERE kiosk_no = ? AND seq = ?').pluck();
    const overrideSeqHeld = this.db.prepare('SELECT 1 FROM overrides WHERE kiosk_no = ? AND seq = ?').pluck();
    const insAlert = this.db.prepare(
      `INSERT OR IGNORE INTO alerts (at, received_at, kiosk_id, checkpoint_id, scan_id, subject_key, raised_by)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const bumpHourly = this.db.prepare(
      `INSERT INTO scan_hourly (checkpoint_id, hour, decision, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour, checkpoint_id, decision) DO UPDATE SET count = count + excluded.count`,
    );
    const healthOf = this.db.prepare('SELECT status, since, until FROM health_entries WHERE subject_key = ?');
    const blocks = (key: bigint | null, at: number): boolean => {
      if (key === null || blockingStatuses.length === 0) return false;
      const h = healthOf.get(key) as
        { status: string; since: number | null; until: number | null } | undefined;
      return (
        h !== undefined &&
        blockingStatuses.includes(h.status) &&
        (h.since === null || h.since <= at) &&
        (h.until === null || at <= h.until)
      );
    };
    return this.db.transaction((): IngestResult => {
      const kiosk = this.db.prepare('SELECT no, acked_through FROM kiosks WHERE id = ?').get(kioskId) as
        { no: number; acked_through: number } | undefined;
      if (!kiosk) throw new Error(`no kiosk ${kioskId}`);
      const kno = kiosk.no;
      let inserted = 0;
      const alertIds: number[] = [];
      // New scans per (hour, decision): one roll-up upsert each, in this transaction.
      const hourly = new Map<string, { hour: number; decision: string; count: number }>();
      for (const r of records) {
        if (r.type === 'scan') {
          if (overrideSeqHeld.get(kno, r.seq) !== undefined) continue;
          const key = r.subjectKey === null ? null : subjectKeyFromHex(r.subjectKey);
          const res = insScan.run(
            kno,
            r.seq,
            r.id,
            checkpointId,
            r.at,
            now,
            r.source,
            r.format,
            key,
            r.subjectSealed,
            r.decision,
            JSON.stringify(r.reasons),
            JSON.stringify(r.warnings),
            r.alert ? 1 : 0,
          );
          if (res.changes === 0) continue;
          inserted++;
          const hour = r.at - (r.at % HOUR_MS);
          const slot = `${hour}/${r.decision}`;
          const h = hourly.get(slot);
          if (h) h.count++;
          else hourly.set(slot, { hour, decision: r.decision, count: 1 });
          if (r.alert || blocks(key, r.at)) {
            const a = insAlert.run(r.at, now, kioskId, checkpointId, r.id, key, r.alert ? 'lane' : 'server');
            if (a.changes > 0) alertIds.push(Number(a.lastInsertRowid));
          }
        } else if (r.type === 'override') {
          if (scanSeqHeld.get(kno, r.seq) !== undefined) continue;
          const res = insOverride.run(
            kno,
            r.seq,
            r.id,
            r.scanId,
            r.at,
            now,
            r.originalDecision,
            r.decision,
            r.officerId,
            r.supervisorId,
            r.reason,
            r.note,
          );
          inserted += res.changes;
        }
      }
      for (const h of hourly.values()) bumpHourly.run(checkpointId, h.hour, h.decision, h.count);
      let acked = kiosk.acked_through;
      const start = acked;
      while (
        scanSeqHeld.get(kno, acked + 1) !== undefined ||
        overrideSeqHeld.get(kno, acked + 1) !== undefined
      ) {
        acked++;
      }
      if (acked !== start)
        this.db.prepare('UPDATE kiosks SET acked_through = ? WHERE no = ?').run(acked, kno);
      return {
        ackedThrough: acked,
        inserted,
        alerts: alertIds.map((id) => this.alert(id)).filter((a) => a !== null),
      };
    })();
  }

  /** The highest contiguous sequence held for a kiosk. */
  ackedThrough(kioskId: string): number {
    return (
      (this.db.prepare('SELECT acked_through FROM kiosks WHERE id = ?').pluck().get(kioskId) as
        number | undefined) ?? 0
    );
  }

  /** Scans matching the filters, newest first. */
  search(q: ScanQuery): ScanView[] {
    const where = scanWhere(q, q.before);
    const rows = this.db
      .prepare(
        `SELECT s.no, k.id AS kiosk_id, k.name AS kiosk_name, s.seq, s.id, s.checkpoint_id, s.at, s.received_at,
           s.source, s.format,
           CASE WHEN s.subject_key IS NULL THEN NULL ELSE printf('%016x', s.subject_key) END AS key_hex,
           s.decision, s.reasons, s.warnings, s.alert
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE ${where.sql}
         ORDER BY s.no DESC
         LIMIT @limit`,
      )
      .all({ ...where.params, limit: q.limit }) as ScanRow[];
    const overrides = this.db.prepare(
      `SELECT id, at, original_decision, decision, officer_id, supervisor_id, reason, note
       FROM overrides WHERE scan_id = ? ORDER BY at, no`,
    );
    return rows.map((r) => ({
      no: r.no,
      id: r.id,
      kioskId: r.kiosk_id,
      kioskName: r.kiosk_name,
      seq: r.seq,
      checkpointId: r.checkpoint_id,
      at: r.at,
      receivedAt: r.received_at,
      source: r.source,
      format: r.format,
      subjectKey: r.key_hex,
      decision: r.decision,
      reasons: JSON.parse(r.reasons) as string[],
      warnings: JSON.parse(r.warnings) as string[],
      alert: r.alert === 1,
      overrides: (
        overrides.all(r.id) as {
          id: string;
          at: number;
          original_decision: string;
          decision: string;
          officer_id: string;
          supervisor_id: string | null;
          reason: string;
          note: string;
        }[]
      ).map((o) => ({
        id: o.id,
        at: o.at,
        originalDecision: o.original_decision,
        decision: o.decision,
        officerId: o.officer_id,
        supervisorId: o.supervisor_id,
        reason: o.reason,
        note: o.note,
      })),
    }));
  }

  /** The highest arrival number held (0 when empty): an export reads below it, a stable set. */
  lastNo(): number {
    return (this.db.prepare('SELECT max(no) FROM scans').pluck().get() as number | null) ?? 0;
  }

  /** The lowest arrival number held (1 when empty). */
  firstNo(): number {
    return (this.db.prepare('SELECT min(no) FROM scans').pluck().get() as number | null) ?? 1;
  }

  /** How many scans match the filters below arrival number `before`, counting at most `max`. */
  countUpTo(f: ScanFilter, before: number, max: number): number {
    const where = scanWhere(f, before);
    return this.db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE ${where.sql} LIMIT @max)`,
      )
      .pluck()
      .get({ ...where.params, max }) as number;
  }

  /**
   * One page of the CSV export: scans matching the filters below arrival number `before`,
   * newest first, each with its latest override (same order and filters as `search`). The
   * statement is iterated to the end here, so no cursor stays open between pages.
   */
  exportPage(f: ScanFilter, before: number, limit: number): ScanExportRow[] {
    const out: ScanExportRow[] = [];
    const where = scanWhere(f, before);
    const it = this.db
      .prepare(
        `SELECT s.no, s.received_at, s.at, s.checkpoint_id, k.name AS kiosk_name, s.source, s.format,
           CASE WHEN s.subject_key IS NULL THEN NULL ELSE printf('%016x', s.subject_key) END AS key_hex,
           s.decision, s.reasons, s.warnings, s.alert, s.id,
           o.decision AS o_decision, o.officer_id, o.supervisor_id, o.reason, o.note
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
           LEFT JOIN overrides o ON o.no =
             (SELECT no FROM overrides WHERE scan_id = s.id ORDER BY at DESC, no DESC LIMIT 1)
         WHERE ${where.sql}
         ORDER BY s.no DESC
         LIMIT @limit`,
      )
      .iterate({ ...where.params, limit }) as IterableIterator<
      Omit<ScanRow, 'kiosk_id' | 'seq'> & {
        o_decision: string | null;
        officer_id: string | null;
        supervisor_id: string | null;
        reason: string | null;
        note: string | null;
      }
    >;
    for (const r of it) {
      out.push({
        no: r.no,
        receivedAt: r.received_at,
        at: r.at,
        checkpointId: r.checkpoint_id,
        kioskName: r.kiosk_name,
        source: r.source,
        format: r.format,
        subjectKey: r.key_hex,
        decision: r.decision,
        reasons: (JSON.parse(r.reasons) as string[]).join(';'),
        warnings: (JSON.parse(r.warnings) as string[]).join(';'),
        alert: r.alert === 1,
        scanId: r.id,
        override:
          r.o_decision === null
            ? null
            : {
                decision: r.o_decision,
                officerId: r.officer_id ?? '',
                supervisorId: r.supervisor_id,
                reason: r.reason ?? '',
                note: r.note ?? '',
              },
      });
    }
    return out;
  }

  /** Hourly scan counts with `from <= hour < to`, optionally for one checkpoint. */
  hourly(from: number, to: number, checkpointId?: string): HourlyCount[] {
    return (
      this.db
        .prepare(
          `SELECT checkpoint_id, hour, decision, count FROM scan_hourly
           WHERE hour >= @from AND hour < @to AND (@checkpoint IS NULL OR checkpoint_id = @checkpoint)
           ORDER BY hour, checkpoint_id, decision`,
        )
        .all({ from, to, checkpoint: checkpointId ?? null }) as {
        checkpoint_id: string;
        hour: number;
        decision: string;
        count: number;
      }[]
    ).map((r) => ({ checkpointId: r.checkpoint_id, hour: r.hour, decision: r.decision, count: r.count }));
  }

  /** Count of stored scans (all kiosks). */
  countScans(): number {
    return this.db.prepare('SELECT count(*) FROM scans').pluck().get() as number;
  }

  /** One alert with the subject's current health status, or null. */
  alert(id: number): AlertRecord | null {
    const r = this.db.prepare(`SELECT ${ALERT_COLUMNS} ${ALERT_FROM} WHERE a.id = ?`).get(id) as
      AlertRow | undefined;
    return r ? toAlert(r) : null;
  }

  /** Alerts, newest first; `before` pages by id. */
  alerts(opts: { limit: number; before?: number; checkpointId?: string; unacked?: boolean }): AlertRecord[] {
    const rows = this.db
      .prepare(
        `SELECT ${ALERT_COLUMNS} ${ALERT_FROM}
         WHERE (@before IS NULL OR a.id < @before) AND (@checkpoint IS NULL OR a.checkpoint_id = @checkpoint)
           AND (@unacked = 0 OR a.acked_at IS NULL)
         ORDER BY a.id DESC LIMIT @limit`,
      )
      .all({
        before: opts.before ?? null,
        checkpoint: opts.checkpointId ?? null,
        unacked: opts.unacked === true ? 1 : 0,
        limit: opts.limit,
      }) as AlertRow[];
    return rows.map(toAlert);
  }

  /**
   * Acknowledges an alert once: the first acknowledgement is kept (a second one changes
   * nothing). Answers the alert and whether this call acknowledged it, or null if unknown.
   */
  ack(id: number, at: number, by: string): { alert: AlertRecord; acked: boolean } | null {
    return this.db.transaction(() => {
      const acked =
        this.db
          .prepare('UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL')
          .run(at, by, id).changes > 0;
      const alert = this.alert(id);
      return alert ? { alert, acked } : null;
    })();
  }
}

interface AlertRow {
  id: number;
  at: number;
  received_at: number;
  kiosk_id: string;
  kiosk_name: string;
  checkpoint_id: string;
  scan_id: string;
  key_hex: string | null;
  status: string | null;
  raised_by: 'lane' | 'server';
  acked_at: number | null;
  acked_by: string | null;
}

const toAlert = (r: AlertRow): AlertRecord => ({
  id: r.id,
  at: r.at,
  receivedAt: r.received_at,
  kioskId: r.kiosk_id,
  kioskName: r.kiosk_name,
  checkpointId: r.checkpoint_id,
  scanId: r.scan_id,
  subjectKey: r.key_hex,
  status: r.status,
  raisedBy: r.raised_by,
  ackedAt: r.acked_at,
  ackedBy: r.acked_by,
});

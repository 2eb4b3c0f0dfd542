import type { LaneRecord } from '@checkpoint-lane/shared';
import { subjectKeyFromHex } from '../../lists/subject-key.js';
import type { Db } from '../open-database.js';

/** An alert: a scan at a lane that hit a blocking health status. */
export interface AlertRecord {
  readonly id: number;
  readonly at: number;
  readonly receivedAt: number;
  readonly kioskId: string;
  readonly checkpointId: string;
  readonly scanId: string;
  readonly subjectKey: string | null;
  /** The subject's health status on the server's list now (null if not listed). */
  readonly status: string | null;
  /** Who raised it: the lane, or the server from its newer health list. */
  readonly raisedBy: 'lane' | 'server';
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

/** Scan search filters. */
export interface ScanQuery {
  readonly subjectKey?: bigint;
  readonly checkpointId?: string;
  readonly kioskId?: string;
  readonly from?: number;
  readonly to?: number;
  readonly decision?: string;
  readonly limit: number;
  /** Continue after this arrival number (newest first). */
  readonly before?: number;
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
          if (r.alert || blocks(key, r.at)) {
            const a = insAlert.run(r.at, now, kioskId, checkpointId, r.id, key, r.alert ? 'lane' : 'server');
            if (a.changes > 0) alertIds.push(Number(a.lastInsertRowid));
          }
        } else {
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
    const rows = this.db
      .prepare(
        `SELECT s.no, k.id AS kiosk_id, s.seq, s.id, s.checkpoint_id, s.at, s.received_at, s.source, s.format,
           CASE WHEN s.subject_key IS NULL THEN NULL ELSE printf('%016x', s.subject_key) END AS key_hex,
           s.decision, s.reasons, s.warnings, s.alert
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE (@key IS NULL OR s.subject_key = @key)
           AND (@checkpoint IS NULL OR s.checkpoint_id = @checkpoint)
           AND (@kiosk IS NULL OR k.id = @kiosk)
           AND (@from IS NULL OR s.at >= @from)
           AND (@to IS NULL OR s.at < @to)
           AND (@decision IS NULL OR s.decision = @decision)
           AND (@before IS NULL OR s.no < @before)
         ORDER BY s.no DESC
         LIMIT @limit`,
      )
      .all({
        key: q.subjectKey ?? null,
        checkpoint: q.checkpointId ?? null,
        kiosk: q.kioskId ?? null,
        from: q.from ?? null,
        to: q.to ?? null,
        decision: q.decision ?? null,
        before: q.before ?? null,
        limit: q.limit,
      }) as ScanRow[];
    const overrides = this.db.prepare(
      `SELECT id, at, original_decision, decision, officer_id, supervisor_id, reason, note
       FROM overrides WHERE scan_id = ? ORDER BY at`,
    );
    return rows.map((r) => ({
      no: r.no,
      id: r.id,
      kioskId: r.kiosk_id,
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

  /** Count of stored scans (all kiosks). */
  countScans(): number {
    return this.db.prepare('SELECT count(*) FROM scans').pluck().get() as number;
  }

  /** One alert with the subject's current health status, or null. */
  alert(id: number): AlertRecord | null {
    const r = this.db
      .prepare(
        `SELECT a.id, a.at, a.received_at, a.kiosk_id, a.checkpoint_id, a.scan_id,
           CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex, h.status,
           a.raised_by
         FROM alerts a LEFT JOIN health_entries h ON h.subject_key = a.subject_key WHERE a.id = ?`,
      )
      .get(id) as AlertRow | undefined;
    return r ? toAlert(r) : null;
  }

  /** Alerts, newest first; `before` pages by id. */
  alerts(opts: { limit: number; before?: number; checkpointId?: string }): AlertRecord[] {
    const rows = this.db
      .prepare(
        `SELECT a.id, a.at, a.received_at, a.kiosk_id, a.checkpoint_id, a.scan_id,
           CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex, h.status,
           a.raised_by
         FROM alerts a LEFT JOIN health_entries h ON h.subject_key = a.subject_key
         WHERE (@before IS NULL OR a.id < @before) AND (@checkpoint IS NULL OR a.checkpoint_id = @checkpoint)
         ORDER BY a.id DESC LIMIT @limit`,
      )
      .all({
        before: opts.before ?? null,
        checkpoint: opts.checkpointId ?? null,
        limit: opts.limit,
      }) as AlertRow[];
    return rows.map(toAlert);
  }
}

interface AlertRow {
  id: number;
  at: number;
  received_at: number;
  kiosk_id: string;
  checkpoint_id: string;
  scan_id: string;
  key_hex: string | null;
  status: string | null;
  raised_by: 'lane' | 'server';
}

const toAlert = (r: AlertRow): AlertRecord => ({
  id: r.id,
  at: r.at,
  receivedAt: r.received_at,
  kioskId: r.kiosk_id,
  checkpointId: r.checkpoint_id,
  scanId: r.scan_id,
  subjectKey: r.key_hex,
  status: r.status,
  raisedBy: r.raised_by,
});

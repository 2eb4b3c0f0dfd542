import {
  healthBlocks,
  maskSubject,
  SUBJECT_KINDS,
  type AcknowledgementRecord,
  type HealthEntry,
  type LaneRecord,
  type OverrideRecord,
  type SubjectKind,
} from '@checkpoint-lane/shared';
import { subjectKeyFromHex } from '../../lists/subject-key.js';
import {
  checkLaneRecord,
  issuesRaiseAlert,
  releasesHealthRed,
  type HeldScan,
  type RosterOfficer,
} from '../../overrides/check-lane-record.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../open-database.js';
import { decodeCheckpoints } from './officers-repository.js';

/** Kinds of alert (the contract): a blocking health status, a pass replay, a suspicious override. */
export type AlertKind = 'health' | 'replay' | 'override';

/**
 * What happened at the lane after a scan, from that lane's own records: overridden (the latest
 * override), acknowledged (an officer saw it, "Đã xem"), pending (a red, an amber or a green
 * with warnings nobody handled yet) or none (a plain green).
 */
export interface LaneOutcome {
  readonly state: 'pending' | 'acknowledged' | 'overridden' | 'none';
  /** The decision the scan stands at (its own, or its latest override's). */
  readonly decision: string;
  /** When the lane handled it (lane clock), or null. */
  readonly at: number | null;
  readonly override: OverrideView | null;
  readonly ack: AckView | null;
}

/** An alert: a blocking health status scanned at a lane, or a lane record the centre distrusts. */
export interface AlertRecord {
  readonly id: number;
  readonly kind: AlertKind;
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
  /** The subject with all but its last 4 characters hidden, from the server's lists (null: not listed). */
  readonly subjectMasked: string | null;
  /** For `override` alerts: the distrusted record; null otherwise. */
  readonly record: OverrideView | AckView | null;
  /** For `override` alerts: why the record is distrusted. */
  readonly issues: string[];
  /** What happened at the lane after the scan. */
  readonly outcome: LaneOutcome;
}

/** Fields of an override or acknowledgement as the console shows them. */
interface LaneRecordView {
  readonly id: string;
  readonly seq: number;
  readonly at: number;
  /** The lane that sent it. */
  readonly kioskId: string;
  readonly kioskName: string;
  /** True: checked; false: distrusted (see `issues`); null: not checked (yet, or stored before checks). */
  readonly verified: boolean | null;
  readonly issues: string[];
  readonly decision: string;
  readonly note: string;
}

/** An override as the scan search shows it. */
export interface OverrideView extends LaneRecordView {
  readonly type: 'override';
  readonly originalDecision: string;
  readonly officerId: string;
  /** The officer's name on the central roster, or null if unknown there. */
  readonly officerName: string | null;
  readonly supervisorId: string | null;
  readonly supervisorName: string | null;
  readonly reason: string;
}

/** An officer's acknowledgement as the scan search shows it. */
export interface AckView extends LaneRecordView {
  readonly type: 'ack';
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
  /** Every override naming this scan (a distrusted one from another lane too, flagged). */
  readonly overrides: OverrideView[];
  /** Every acknowledgement naming this scan. */
  readonly acks: AckView[];
  readonly outcome: LaneOutcome;
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
  /** One scan by its record id (an alert's link). */
  readonly scanId?: string;
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
    /** True: checked; false: distrusted; null: not checked. */
    readonly verified: boolean | null;
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

const ALERT_COLUMNS = `a.id, a.kind, a.at, a.received_at, a.kiosk_id, k.name AS kiosk_name, a.checkpoint_id,
  a.scan_id, a.record_id, a.issues,
  CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex, h.status,
  coalesce(h.subject, w.subject) AS subject, a.raised_by, a.acked_at, a.acked_by`;
const ALERT_FROM = `FROM alerts a JOIN kiosks k ON k.id = a.kiosk_id
  LEFT JOIN health_entries h ON h.subject_key = a.subject_key
  LEFT JOIN whitelist_entries w ON w.subject_key = a.subject_key`;

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
  add('s.id = @scanId', 'scanId', f.scanId);
  add('s.no < @before', 'before', before);
  return { sql: clauses.length === 0 ? '1' : clauses.join(' AND '), params };
}

/** A red of the health list let through to green (audited by the caller). */
export interface HealthRelease {
  readonly overrideId: string;
  readonly scanId: string;
  readonly officerId: string;
  readonly supervisorId: string | null;
  readonly reason: string;
  readonly verified: boolean;
  readonly issues: string[];
}

/** What one upload did. */
export interface IngestResult {
  readonly ackedThrough: number;
  readonly inserted: number;
  /** Alerts this upload raised. */
  readonly alerts: AlertRecord[];
  /** Alerts raised before whose scan this upload gave an outcome (acknowledged, overridden). */
  readonly updatedAlerts: AlertRecord[];
  /** Overrides of a health red to green judged in this upload. */
  readonly healthReleases: HealthRelease[];
}

/** The masked form of a stored canonical subject (`kind:value`), or null. */
export function maskStoredSubject(subject: string | null): string | null {
  if (subject === null) return null;
  const at = subject.indexOf(':');
  const kind = subject.slice(0, at);
  if (at < 0 || !(SUBJECT_KINDS as readonly string[]).includes(kind)) return null;
  return maskSubject({ kind: kind as SubjectKind, value: subject.slice(at + 1) });
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
  /** Statements the alert and scan views run per row, prepared once (a page of alerts runs hundreds). */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  private prepared(sql: string): Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /**
   * Stores a batch idempotently in one transaction: a record whose (kiosk, seq) or id is
   * already held is ignored, so re-sending is always safe. Answers the highest contiguous
   * sequence held for the kiosk (scans, overrides and acknowledgements share it). A new scan
   * creates one alert when the lane flagged it, or when the server's health list blocks its
   * subject at this checkpoint at the scan's time (the lane's list may have been older): the
   * server is the authority. Overrides and acknowledgements are judged once the lane's sequence
   * below them is complete (their scan always comes earlier in it, even when a retried batch
   * arrives out of order): a distrusted one is stored flagged and raises an `override` alert,
   * never refused, so the lane's outbox always drains.
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
    const insAck = this.db.prepare(
      `INSERT OR IGNORE INTO acks (kiosk_no, seq, id, scan_id, at, received_at, decision, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A seq held by any record type (a scan, an override or an acknowledgement).
    const seqHeld = this.db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM scans WHERE kiosk_no = @k AND seq = @s)
           OR EXISTS (SELECT 1 FROM overrides WHERE kiosk_no = @k AND seq = @s)
           OR EXISTS (SELECT 1 FROM acks WHERE kiosk_no = @k AND seq = @s)`,
      )
      .pluck();
    const held = (kno: number, seq: number): boolean => seqHeld.get({ k: kno, s: seq }) === 1;
    const idHeld = this.db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM scans WHERE id = @id) OR EXISTS (SELECT 1 FROM overrides WHERE id = @id)
           OR EXISTS (SELECT 1 FROM acks WHERE id = @id)`,
      )
      .pluck();
    const insAlert = this.db.prepare(
      `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
         raised_by, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const bumpHourly = this.db.prepare(
      `INSERT INTO scan_hourly (checkpoint_id, hour, decision, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour, checkpoint_id, decision) DO UPDATE SET count = count + excluded.count`,
    );
    const healthOf = this.db.prepare('SELECT status, since, until FROM health_entries WHERE subject_key = ?');
    const blocks = (key: bigint | null, at: number): boolean => {
      if (key === null || blockingStatuses.length === 0) return false;
      const h = healthOf.get(key) as HealthEntry | undefined;
      // The lane's own rule (shared), so the server never disagrees with it on the boundary.
      return healthBlocks(h ?? null, blockingStatuses, at);
    };
    return this.db.transaction((): IngestResult => {
      const kiosk = this.db.prepare('SELECT no, acked_through FROM kiosks WHERE id = ?').get(kioskId) as
        { no: number; acked_through: number } | undefined;
      if (!kiosk) throw new Error(`no kiosk ${kioskId}`);
      const kno = kiosk.no;
      let inserted = 0;
      const alertIds: number[] = [];
      const handledScans = new Set<string>();
      // New scans per (hour, decision): one roll-up upsert each, in this transaction.
      const hourly = new Map<string, { hour: number; decision: string; count: number }>();
      for (const r of records) {
        if (held(kno, r.seq)) continue;
        if (r.type === 'scan') {
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
            const a = insAlert.run(
              'health',
              r.at,
              now,
              kioskId,
              checkpointId,
              r.id,
              null,
              key,
              r.alert ? 'lane' : 'server',
              null,
            );
            if (a.changes > 0) alertIds.push(Number(a.lastInsertRowid));
          }
        } else if (r.type === 'override') {
          inserted += insOverride.run(
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
          ).changes;
        } else {
          inserted += insAck.run(kno, r.seq, r.id, r.scanId, r.at, now, r.decision, r.note).changes;
        }
      }
      for (const h of hourly.values()) bumpHourly.run(checkpointId, h.hour, h.decision, h.count);
      let acked = kiosk.acked_through;
      const start = acked;
      // A record whose id is already held is held, whoever sent it: a lane re-enrolled in its
      // old data folder resends, under its new identity, records its old one may have delivered.
      const idOfSeq = new Map(records.map((r) => [r.seq, r.id]));
      const idHeldAt = (seq: number): boolean => {
        const id = idOfSeq.get(seq);
        return id !== undefined && idHeld.get({ id }) === 1;
      };
      while (held(kno, acked + 1) || idHeldAt(acked + 1)) acked++;
      if (acked !== start)
        this.db.prepare('UPDATE kiosks SET acked_through = ? WHERE no = ?').run(acked, kno);
      const judged = this.judgePending(kno, kioskId, checkpointId, acked, now);
      alertIds.push(...judged.alertIds);
      for (const id of judged.scanIds) handledScans.add(id);
      const newAlerts = new Set(alertIds);
      const updated = this.db.prepare(`SELECT id FROM alerts WHERE scan_id = ? AND kind = 'health'`).pluck();
      const updatedIds = [...handledScans]
        .map((id) => updated.get(id) as number | undefined)
        .filter((id): id is number => id !== undefined && !newAlerts.has(id));
      return {
        ackedThrough: acked,
        inserted,
        alerts: alertIds.map((id) => this.alert(id)).filter((a) => a !== null),
        updatedAlerts: updatedIds.map((id) => this.alert(id)).filter((a) => a !== null),
        healthReleases: judged.healthReleases,
      };
    })();
  }

  /**
   * Judges this lane's overrides and acknowledgements not judged yet whose seq is within the
   * contiguous prefix `acked`: everything before them is held, so their scan is too if it exists.
   */
  private judgePending(
    kno: number,
    kioskId: string,
    checkpointId: string,
    acked: number,
    now: number,
  ): { alertIds: number[]; scanIds: string[]; healthReleases: HealthRelease[] } {
    const out = { alertIds: [] as number[], scanIds: [] as string[], healthReleases: [] as HealthRelease[] };
    const pendingOverrides = this.db
      .prepare(
        `SELECT seq, id, scan_id, at, received_at, original_decision, decision, officer_id, supervisor_id, reason,
           note FROM overrides WHERE kiosk_no = ? AND seq <= ? AND verified IS NULL AND issues IS NULL ORDER BY seq`,
      )
      .all(kno, acked) as {
      seq: number;
      id: string;
      scan_id: string;
      at: number;
      received_at: number;
      original_decision: string;
      decision: string;
      officer_id: string;
      supervisor_id: string | null;
      reason: string;
      note: string;
    }[];
    const pendingAcks = this.db
      .prepare(
        `SELECT seq, id, scan_id, at, received_at, decision, note FROM acks
         WHERE kiosk_no = ? AND seq <= ? AND verified IS NULL AND issues IS NULL ORDER BY seq`,
      )
      .all(kno, acked) as {
      seq: number;
      id: string;
      scan_id: string;
      at: number;
      received_at: number;
      decision: string;
      note: string;
    }[];
    if (pendingOverrides.length === 0 && pendingAcks.length === 0) return out;
    const scanOf = this.db.prepare('SELECT kiosk_no, at, decision, reasons FROM scans WHERE id = ?');
    const officerOf = this.db.prepare('SELECT role, checkpoints, disabled_at FROM officers WHERE id = ?');
    const rosterVersion = this.db
      .prepare('SELECT version FROM officer_roster WHERE id = 1')
      .pluck()
      .get() as number;
    const officer = (id: string): RosterOfficer | null => {
      const o = officerOf.get(id) as
        | { role: 'officer' | 'supervisor'; checkpoints: string | null; disabled_at: number | null }
        | undefined;
      return o
        ? { role: o.role, checkpoints: decodeCheckpoints(o.checkpoints), disabledAt: o.disabled_at }
        : null;
    };
    const insAlert = this.db.prepare(
      `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
         raised_by, issues)
       VALUES ('override', ?, ?, ?, ?, ?, ?, (SELECT subject_key FROM scans WHERE id = ?), 'server', ?)`,
    );
    const judge = (
      table: 'overrides' | 'acks',
      r: OverrideRecord | AcknowledgementRecord,
      receivedAt: number,
    ): void => {
      const row = scanOf.get(r.scanId) as
        { kiosk_no: number; at: number; decision: string; reasons: string } | undefined;
      const scan: HeldScan | null = row
        ? {
            kioskNo: row.kiosk_no,
            at: row.at,
            decision: row.decision,
            reasons: JSON.parse(row.reasons) as string[],
          }
        : null;
      const issues = checkLaneRecord(r, {
        kioskNo: kno,
        checkpointId,
        scan,
        receivedAt,
        rosterVersion,
        officer,
      });
      this.db
        .prepare(`UPDATE ${table} SET verified = ?, issues = ? WHERE kiosk_no = ? AND seq = ?`)
        .run(issues.length === 0 ? 1 : 0, issues.length === 0 ? null : JSON.stringify(issues), kno, r.seq);
      if (scan?.kioskNo === kno) out.scanIds.push(r.scanId);
      if (issuesRaiseAlert(issues)) {
        const a = insAlert.run(
          r.at,
          now,
          kioskId,
          checkpointId,
          r.scanId,
          r.id,
          r.scanId,
          JSON.stringify(issues),
        );
        if (a.changes > 0) out.alertIds.push(Number(a.lastInsertRowid));
      }
      if (r.type === 'override' && releasesHealthRed(scan, r)) {
        out.healthReleases.push({
          overrideId: r.id,
          scanId: r.scanId,
          officerId: r.officerId,
          supervisorId: r.supervisorId,
          reason: r.reason,
          verified: issues.length === 0,
          issues,
        });
      }
    };
    // Overrides and acknowledgements in the lane's own order.
    const all = [
      ...pendingOverrides.map((o): OverrideRecord => ({
        type: 'override',
        seq: o.seq,
        id: o.id,
        at: o.at,
        scanId: o.scan_id,
        originalDecision: o.original_decision as OverrideRecord['originalDecision'],
        decision: o.decision as OverrideRecord['decision'],
        officerId: o.officer_id,
        supervisorId: o.supervisor_id,
        reason: o.reason,
        note: o.note,
      })),
      ...pendingAcks.map((a): AcknowledgementRecord => ({
        type: 'ack',
        seq: a.seq,
        id: a.id,
        at: a.at,
        scanId: a.scan_id,
        decision: a.decision as AcknowledgementRecord['decision'],
        note: a.note,
      })),
    ].sort((a, b) => a.seq - b.seq);
    // Judged against when each record reached us, not now: a gap may have held it for a while.
    const receivedAt = new Map([...pendingOverrides, ...pendingAcks].map((x) => [x.seq, x.received_at]));
    for (const r of all) judge(r.type === 'override' ? 'overrides' : 'acks', r, receivedAt.get(r.seq) ?? now);
    return out;
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
    return rows.map((r) => {
      const { overrides, acks } = this.laneRecordsOf(r.id);
      const warnings = JSON.parse(r.warnings) as string[];
      return {
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
        warnings,
        alert: r.alert === 1,
        overrides,
        acks,
        outcome: laneOutcome({ kioskId: r.kiosk_id, decision: r.decision, warnings }, overrides, acks),
      };
    });
  }

  /** Every override and acknowledgement naming a scan, in arrival order, with the sending lane. */
  private laneRecordsOf(scanId: string): { overrides: OverrideView[]; acks: AckView[] } {
    const overrides = (
      this.prepared(
        `SELECT o.id, o.seq, o.at, k.id AS kiosk_id, k.name AS kiosk_name, o.verified, o.issues, o.original_decision,
             o.decision, o.officer_id, so.name AS officer_name, o.supervisor_id, ss.name AS supervisor_name,
             o.reason, o.note
           FROM overrides o JOIN kiosks k ON k.no = o.kiosk_no
             LEFT JOIN officers so ON so.id = o.officer_id LEFT JOIN officers ss ON ss.id = o.supervisor_id
           WHERE o.scan_id = ? ORDER BY o.at, o.no`,
      ).all(scanId) as (RecordRow & {
        original_decision: string;
        officer_id: string;
        officer_name: string | null;
        supervisor_id: string | null;
        supervisor_name: string | null;
        reason: string;
      })[]
    ).map((o): OverrideView => ({
      type: 'override',
      ...recordFields(o),
      originalDecision: o.original_decision,
      officerId: o.officer_id,
      officerName: o.officer_name,
      supervisorId: o.supervisor_id,
      supervisorName: o.supervisor_name,
      reason: o.reason,
    }));
    const acks = (
      this.prepared(
        `SELECT a.id, a.seq, a.at, k.id AS kiosk_id, k.name AS kiosk_name, a.verified, a.issues, a.decision, a.note
           FROM acks a JOIN kiosks k ON k.no = a.kiosk_no WHERE a.scan_id = ? ORDER BY a.at, a.no`,
      ).all(scanId) as RecordRow[]
    ).map((a): AckView => ({ type: 'ack', ...recordFields(a) }));
    return { overrides, acks };
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
           o.decision AS o_decision, o.officer_id, o.supervisor_id, o.reason, o.note, o.verified
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
           LEFT JOIN overrides o ON o.no =
             (SELECT no FROM overrides WHERE scan_id = s.id AND kiosk_no = s.kiosk_no ORDER BY at DESC, no DESC LIMIT 1)
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
        verified: number | null;
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
                verified: r.verified === null ? null : r.verified === 1,
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
    const r = this.prepared(`SELECT ${ALERT_COLUMNS} ${ALERT_FROM} WHERE a.id = ?`).get(id) as
      AlertRow | undefined;
    return r ? this.toAlert(r) : null;
  }

  /** Alerts, newest first; `before` pages by id. */
  alerts(opts: {
    limit: number;
    before?: number;
    checkpointId?: string;
    unacked?: boolean;
    kind?: AlertKind;
  }): AlertRecord[] {
    const rows = this.db
      .prepare(
        `SELECT ${ALERT_COLUMNS} ${ALERT_FROM}
         WHERE (@before IS NULL OR a.id < @before) AND (@checkpoint IS NULL OR a.checkpoint_id = @checkpoint)
           AND (@unacked = 0 OR a.acked_at IS NULL) AND (@kind IS NULL OR a.kind = @kind)
         ORDER BY a.id DESC LIMIT @limit`,
      )
      .all({
        before: opts.before ?? null,
        checkpoint: opts.checkpointId ?? null,
        unacked: opts.unacked === true ? 1 : 0,
        kind: opts.kind ?? null,
        limit: opts.limit,
      }) as AlertRow[];
    return rows.map((r) => this.toAlert(r));
  }

  /**
   * Who an alert is about, from the server's lists (the health list first): the canonical
   * subject and the name on the entry. Null when the alert is unknown; `subject` null when
   * no list holds its subject. Personal data: callers audit every read.
   */
  alertSubject(id: number): {
    subject: string | null;
    name: string | null;
    list: 'health' | 'whitelist' | null;
    subjectKey: string | null;
  } | null {
    const r = this.db
      .prepare(
        `SELECT CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex,
           h.subject AS h_subject, h.name AS h_name, w.subject AS w_subject, w.name AS w_name
         FROM alerts a LEFT JOIN health_entries h ON h.subject_key = a.subject_key
           LEFT JOIN whitelist_entries w ON w.subject_key = a.subject_key
         WHERE a.id = ?`,
      )
      .get(id) as
      | {
          key_hex: string | null;
          h_subject: string | null;
          h_name: string | null;
          w_subject: string | null;
          w_name: string | null;
        }
      | undefined;
    if (!r) return null;
    const list = r.h_subject !== null ? 'health' : r.w_subject !== null ? 'whitelist' : null;
    const subject = r.h_subject ?? r.w_subject;
    return {
      subject: subject === null ? null : subject.slice(subject.indexOf(':') + 1),
      name: list === 'health' ? r.h_name : list === 'whitelist' ? r.w_name : null,
      list,
      subjectKey: r.key_hex,
    };
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

  private toAlert(r: AlertRow): AlertRecord {
    const scan = this.prepared(
      'SELECT k.id AS kiosk_id, s.decision, s.warnings FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE s.id = ?',
    ).get(r.scan_id) as { kiosk_id: string; decision: string; warnings: string } | undefined;
    const { overrides, acks } = this.laneRecordsOf(r.scan_id);
    const record =
      r.record_id === null
        ? null
        : (overrides.find((o) => o.id === r.record_id) ?? acks.find((a) => a.id === r.record_id) ?? null);
    return {
      id: r.id,
      kind: r.kind,
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
      subjectMasked: maskStoredSubject(r.subject),
      record,
      issues: r.issues === null ? [] : (JSON.parse(r.issues) as string[]),
      outcome: scan
        ? laneOutcome(
            {
              kioskId: scan.kiosk_id,
              decision: scan.decision,
              warnings: JSON.parse(scan.warnings) as string[],
            },
            overrides,
            acks,
          )
        : { state: 'pending', decision: 'amber', at: null, override: null, ack: null },
    };
  }
}

interface AlertRow {
  id: number;
  kind: AlertKind;
  at: number;
  received_at: number;
  kiosk_id: string;
  kiosk_name: string;
  checkpoint_id: string;
  scan_id: string;
  record_id: string | null;
  issues: string | null;
  key_hex: string | null;
  status: string | null;
  subject: string | null;
  raised_by: 'lane' | 'server';
  acked_at: number | null;
  acked_by: string | null;
}

interface RecordRow {
  id: string;
  seq: number;
  at: number;
  kiosk_id: string;
  kiosk_name: string;
  verified: number | null;
  issues: string | null;
  decision: string;
  note: string;
}

const recordFields = (r: RecordRow) => ({
  id: r.id,
  seq: r.seq,
  at: r.at,
  kioskId: r.kiosk_id,
  kioskName: r.kiosk_name,
  verified: r.verified === null ? null : r.verified === 1,
  issues: r.issues === null ? [] : (JSON.parse(r.issues) as string[]),
  decision: r.decision,
  note: r.note,
});

/**
 * What happened at the lane after a scan, from the records of the lane that made it (a record
 * from another lane naming the scan is shown with the scan, flagged, but is no outcome).
 */
export function laneOutcome(
  scan: { readonly kioskId: string; readonly decision: string; readonly warnings: readonly string[] },
  overrides: readonly OverrideView[],
  acks: readonly AckView[],
): LaneOutcome {
  const bySeq = <T extends { seq: number; kioskId: string }>(list: readonly T[]): T | null =>
    list
      .filter((x) => x.kioskId === scan.kioskId)
      .reduce<T | null>((m, x) => (m === null || x.seq > m.seq ? x : m), null);
  const override = bySeq(overrides);
  const ack = bySeq(acks);
  const decision = override?.decision ?? scan.decision;
  const at = Math.max(override?.at ?? -1, ack?.at ?? -1);
  const state = override
    ? 'overridden'
    : ack
      ? 'acknowledged'
      : scan.decision !== 'green' || scan.warnings.length > 0
        ? 'pending'
        : 'none';
  return { state, decision, at: at < 0 ? null : at, override, ack };
}

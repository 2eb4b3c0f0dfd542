import type { AcknowledgementRecord, OverrideRecord } from '@checkpoint-lane/shared';
import {
  checkLaneRecord,
  issuesRaiseAlert,
  releasesHealthRed,
  type HeldScan,
  type RosterOfficer,
} from '../../../overrides/check-lane-record.js';
import type { Db } from '../../open-database.js';
import { decodeCheckpoints } from '../officers-repository.js';
import type { AlertsRepository } from './alerts-repository.js';

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

/** What judging a lane's pending records did. */
export interface Judged {
  /** `override` alerts raised. */
  readonly alertIds: number[];
  /** Scans of this lane that got a judged record (their alerts may show a new outcome). */
  readonly scanIds: string[];
  readonly healthReleases: HealthRelease[];
}

interface PendingOverride {
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
}

interface PendingAck {
  seq: number;
  id: string;
  scan_id: string;
  at: number;
  received_at: number;
  decision: string;
  note: string;
}

/** The uploading lane and the upload being judged. */
export interface JudgingLane {
  readonly kioskNo: number;
  readonly kioskId: string;
  readonly checkpointId: string;
  /** The lane's contiguous sequence held: records at or below it are judged. */
  readonly ackedThrough: number;
  /** Server time of this upload (the alerts' receipt). */
  readonly now: number;
}

/**
 * Judges the lane's overrides and acknowledgements not judged yet whose seq is within the
 * contiguous prefix `ackedThrough`: everything before them is held, so their scan is too if it
 * exists. Stores each verdict on the record; a distrusted one raises an `override` alert. Call
 * inside the ingest transaction.
 */
export function judgePending(db: Db, alerts: AlertsRepository, lane: JudgingLane): Judged {
  const { kioskNo: kno, kioskId, checkpointId, now } = lane;
  const out: Judged = { alertIds: [], scanIds: [], healthReleases: [] };
  const pendingOverrides = db
    .prepare(
      `SELECT seq, id, scan_id, at, received_at, original_decision, decision, officer_id, supervisor_id, reason,
         note FROM overrides WHERE kiosk_no = ? AND seq <= ? AND verified IS NULL AND issues IS NULL ORDER BY seq`,
    )
    .all(kno, lane.ackedThrough) as PendingOverride[];
  const pendingAcks = db
    .prepare(
      `SELECT seq, id, scan_id, at, received_at, decision, note FROM acks
       WHERE kiosk_no = ? AND seq <= ? AND verified IS NULL AND issues IS NULL ORDER BY seq`,
    )
    .all(kno, lane.ackedThrough) as PendingAck[];
  if (pendingOverrides.length === 0 && pendingAcks.length === 0) return out;
  const scanOf = db.prepare('SELECT kiosk_no, at, decision, reasons FROM scans WHERE id = ?');
  const officerOf = db.prepare('SELECT role, checkpoints, disabled_at FROM officers WHERE id = ?');
  const rosterVersion = db.prepare('SELECT version FROM officer_roster WHERE id = 1').pluck().get() as number;
  const officer = (id: string): RosterOfficer | null => {
    const o = officerOf.get(id) as
      { role: 'officer' | 'supervisor'; checkpoints: string | null; disabled_at: number | null } | undefined;
    return o
      ? { role: o.role, checkpoints: decodeCheckpoints(o.checkpoints), disabledAt: o.disabled_at }
      : null;
  };
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
    db.prepare(`UPDATE ${table} SET verified = ?, issues = ? WHERE kiosk_no = ? AND seq = ?`).run(
      issues.length === 0 ? 1 : 0,
      issues.length === 0 ? null : JSON.stringify(issues),
      kno,
      r.seq,
    );
    if (scan?.kioskNo === kno) out.scanIds.push(r.scanId);
    if (issuesRaiseAlert(issues)) {
      const id = alerts.raiseDistrusted(
        { at: r.at, receivedAt: now, kioskId, checkpointId, scanId: r.scanId },
        r.id,
        issues,
      );
      if (id !== null) out.alertIds.push(id);
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

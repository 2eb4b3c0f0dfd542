import { createHmac } from 'node:crypto';
import {
  subjectKeyFromDigest,
  type AlertRecord,
  type LaneRecord,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import { subjectKeyFromHex } from '../../../lists/subject-key.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../open-database.js';
import type { AlertsRepository } from './alerts-repository.js';
import { healthAlertCheck } from './health-alert-check.js';
import { judgePending, type HealthRelease } from './lane-record-judging.js';
import { findReplays, PASS_SPAN_MS, type LocatedPassage } from './replay-check.js';
import { HourlyTally } from './scan-rollups.js';

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
  /** New scans whose sealed subject did not open: stored with no subject key. */
  readonly unopenedSeals: number;
}

/**
 * How the ingest keys a sealed scan subject (`subjectSealed`): the server's scan seal key opens
 * it (`ScanSealKeys.open`), then the subject is keyed with the server's index key, as the
 * server's own tables are (`lists/subject-key.ts`).
 */
export interface SealedSubjectKeying {
  readonly sealKeys: { open(sealed: string): string | null };
  /** The server's index key (the `list_key` setting, `Services.listKey`). */
  readonly indexKey: Uint8Array;
}

/**
 * The vehicle a scan belongs to (the plate scan's record id), null when none: absent, null, or
 * '' (a JSON null the route's validation coerced to the union's string branch, as for
 * `subjectSealed`).
 */
export function vehicleIdOf(r: ScanRecord): string | null {
  return r.vehicleId === undefined || r.vehicleId === null || r.vehicleId === '' ? null : r.vehicleId;
}

/** The lane pass a scan read, null when none ('' as for `vehicleIdOf`). */
export function passIdOf(r: ScanRecord): string | null {
  return r.passId === undefined || r.passId === '' ? null : r.passId;
}

/** Lane uploads (`POST /api/v1/kiosk/scans`): scans, overrides and acknowledgements stored once. */
export class ScanIngest {
  /** The replay check's query (`raiseReplays`), prepared once. */
  private passagesOf: Statement | undefined;

  constructor(
    private readonly db: Db,
    private readonly alerts: AlertsRepository,
    private readonly sealed: SealedSubjectKeying | null = null,
  ) {}

  /**
   * The stored subject key of a scan: a sealed subject opened and keyed with the index key
   * (null when it does not open, or when this ingest has no seal key); else the lane's
   * `subjectKey` (lanes that do not seal key with the index key, as key 0). An empty
   * `subjectSealed` is no seal: the route's validation turns a JSON null into '' (Ajv type
   * coercion tries the union's string branch first).
   */
  private subjectKeyOf(r: ScanRecord): { key: bigint | null; unopened: boolean } {
    if (r.subjectSealed === null || r.subjectSealed === '')
      return { key: r.subjectKey === null ? null : subjectKeyFromHex(r.subjectKey), unopened: false };
    const canonical = this.sealed === null ? null : this.sealed.sealKeys.open(r.subjectSealed);
    if (this.sealed === null || canonical === null) return { key: null, unopened: true };
    const digest = createHmac('sha256', this.sealed.indexKey).update(canonical, 'utf8').digest();
    return { key: subjectKeyFromDigest(digest), unopened: false };
  }

  /**
   * Stores a batch idempotently in one transaction: a record whose (lane, seq) or id is
   * already held is ignored, so re-sending is always safe. Answers the highest contiguous
   * sequence held for the lane (scans, overrides and acknowledgements share it). A new scan
   * creates one alert when the lane flagged it, or when the server's health list blocks its
   * subject at this checkpoint at the scan's time (`healthAlertCheck`; the lane's list may have
   * been older): the server is the authority. Overrides and acknowledgements are judged once the
   * lane's sequence below them is complete (their scan always comes earlier in it, even when a
   * retried batch arrives out of order): a distrusted one is stored flagged and raises an
   * `override` alert, never refused, so the lane's outbox always drains. A scan's sealed
   * subject is opened and keyed with the index key (`subjectKeyOf`); one that does not open is
   * stored and acknowledged all the same, with no subject key, and counted in `unopenedSeals`.
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
         subject_sealed, decision, reasons, warnings, alert, vehicle_id, pass_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    const blocks = healthAlertCheck(this.db, blockingStatuses);
    return this.db.transaction((): IngestResult => {
      const kiosk = this.db.prepare('SELECT no, acked_through FROM kiosks WHERE id = ?').get(kioskId) as
        { no: number; acked_through: number } | undefined;
      if (!kiosk) throw new Error(`no kiosk ${kioskId}`);
      const kno = kiosk.no;
      let inserted = 0;
      let unopenedSeals = 0;
      const alertIds: number[] = [];
      const handledScans = new Set<string>();
      // New scans per (hour, decision): one roll-up upsert each, in this transaction.
      const hourly = new HourlyTally();
      // New scans of a lane pass: checked for replays once the batch is stored.
      const passScans: { id: string; passId: string; at: number }[] = [];
      for (const r of records) {
        if (held(kno, r.seq)) continue;
        if (r.type === 'scan') {
          const { key, unopened } = this.subjectKeyOf(r);
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
            r.subjectSealed === '' ? null : r.subjectSealed,
            r.decision,
            JSON.stringify(r.reasons),
            JSON.stringify(r.warnings),
            r.alert ? 1 : 0,
            vehicleIdOf(r),
            passIdOf(r),
          );
          if (res.changes === 0) continue;
          const passId = passIdOf(r);
          if (passId !== null) passScans.push({ id: r.id, passId, at: r.at });
          inserted++;
          if (unopened) unopenedSeals++;
          hourly.add(r.at, r.decision);
          if (r.alert || blocks(key, r.at)) {
            const id = this.alerts.raiseHealth(
              { at: r.at, receivedAt: now, kioskId, checkpointId, scanId: r.id },
              key,
              r.alert ? 'lane' : 'server',
            );
            if (id !== null) alertIds.push(id);
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
      hourly.flush(this.db, checkpointId);
      if (passScans.length > 0) alertIds.push(...this.raiseReplays(passScans, now));
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
      const judged = judgePending(this.db, this.alerts, {
        kioskNo: kno,
        kioskId,
        checkpointId,
        ackedThrough: acked,
        now,
      });
      alertIds.push(...judged.alertIds);
      for (const id of judged.scanIds) handledScans.add(id);
      const newAlerts = new Set(alertIds);
      const updatedIds = [...handledScans]
        .map((id) => this.alerts.healthAlertOf(id))
        .filter((id): id is number => id !== undefined && !newAlerts.has(id));
      return {
        ackedThrough: acked,
        inserted,
        alerts: alertIds.map((id) => this.alerts.alert(id)).filter((a) => a !== null),
        updatedAlerts: updatedIds.map((id) => this.alerts.alert(id)).filter((a) => a !== null),
        healthReleases: judged.healthReleases,
        unopenedSeals,
      };
    })();
  }

  /**
   * Replay alerts of new pass scans (`findReplays`): every located passage of their passes, read
   * in one indexed query (`scans_pass_at`), this batch's included. Answers the new alerts' ids.
   */
  private raiseReplays(
    passScans: readonly { id: string; passId: string; at: number }[],
    now: number,
  ): number[] {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of passScans) {
      lo = Math.min(lo, p.at);
      hi = Math.max(hi, p.at);
    }
    this.passagesOf ??= this.db.prepare(
      `SELECT s.id AS scanId, s.pass_id AS passId, s.at, s.checkpoint_id AS checkpointId, c.name AS checkpointName,
         k.id AS kioskId, k.name AS kioskName, c.lat, c.lon
       FROM scans s JOIN checkpoints c ON c.id = s.checkpoint_id JOIN kiosks k ON k.no = s.kiosk_no
       WHERE s.pass_id IN (SELECT value FROM json_each(?)) AND s.at BETWEEN ? AND ? AND c.lat IS NOT NULL`,
    );
    const rows = this.passagesOf.all(
      JSON.stringify([...new Set(passScans.map((p) => p.passId))]),
      lo - PASS_SPAN_MS,
      hi + PASS_SPAN_MS,
    ) as LocatedPassage[];
    const ids: number[] = [];
    for (const pair of findReplays(new Set(passScans.map((p) => p.id)), rows)) {
      const id = this.alerts.raiseReplay(pair, now);
      if (id !== null) ids.push(id);
    }
    return ids;
  }

  /** The highest contiguous sequence held for a lane. */
  ackedThrough(kioskId: string): number {
    return (
      (this.db.prepare('SELECT acked_through FROM kiosks WHERE id = ?').pluck().get(kioskId) as
        number | undefined) ?? 0
    );
  }
}

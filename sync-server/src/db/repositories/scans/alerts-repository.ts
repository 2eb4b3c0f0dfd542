import {
  maskSubject,
  SUBJECT_KINDS,
  type AlertKind,
  type AlertRecord,
  type AlertSubject,
  type GateAlertDetails,
  type ReplayDetails,
  type SubjectKind,
} from '@checkpoint-lane/shared';
import type { Db } from '../../open-database.js';
import { AuditRepository } from '../audit-repository.js';
import { gateAlertView, isGateAlertKind } from '../gate-alerts.js';
import { laneOutcome, laneRecordsOf } from './lane-record-views.js';
import type { StatementCache } from './statement-cache.js';

const ALERT_COLUMNS = `a.id, a.kind, a.at, a.received_at, a.kiosk_id, k.name AS kiosk_name, a.checkpoint_id,
  a.scan_id, a.record_id, a.issues, a.details,
  CASE WHEN a.subject_key IS NULL THEN NULL ELSE printf('%016x', a.subject_key) END AS key_hex, h.status,
  coalesce(h.subject, w.subject) AS subject, a.raised_by, a.acked_at, a.acked_by, a.cleared_at`;
const ALERT_FROM = `FROM alerts a JOIN kiosks k ON k.id = a.kiosk_id
  LEFT JOIN health_entries h ON h.subject_key = a.subject_key
  LEFT JOIN whitelist_entries w ON w.subject_key = a.subject_key`;

interface AlertRow {
  id: number;
  kind: AlertKind;
  at: number;
  received_at: number;
  kiosk_id: string;
  kiosk_name: string;
  checkpoint_id: string;
  scan_id: string | null;
  record_id: string | null;
  issues: string | null;
  details: string | null;
  key_hex: string | null;
  status: string | null;
  subject: string | null;
  raised_by: 'lane' | 'server';
  acked_at: number | null;
  acked_by: string | null;
  cleared_at: number | null;
}

/** Where an alert was raised: the lane, its checkpoint and the scan (lane time `at`). */
export interface AlertPlace {
  readonly at: number;
  readonly receivedAt: number;
  readonly kioskId: string;
  readonly checkpointId: string;
  readonly scanId: string;
}

/** The alert filters of `GET /alerts`: newest first, `before` pages by id. */
export interface AlertQuery {
  readonly limit: number;
  readonly before?: number;
  readonly checkpointId?: string;
  readonly unacked?: boolean;
  readonly kind?: AlertKind;
}

/** Who an alert is about, from the server's lists, and its keyed hash (for the audit record). */
export interface AlertSubjectRecord extends AlertSubject {
  readonly subjectKey: string | null;
}

/** The masked form of a stored canonical subject (`kind:value`), or null. */
export function maskStoredSubject(subject: string | null): string | null {
  if (subject === null) return null;
  const at = subject.indexOf(':');
  const kind = subject.slice(0, at);
  if (at < 0 || !(SUBJECT_KINDS as readonly string[]).includes(kind)) return null;
  return maskSubject({ kind: kind as SubjectKind, value: subject.slice(at + 1) });
}

/** Alerts: raised by the ingest, read by the console, acknowledged by admins. */
export class AlertsRepository {
  private readonly audit: AuditRepository;

  constructor(
    private readonly db: Db,
    private readonly statements: StatementCache,
  ) {
    this.audit = new AuditRepository(db);
  }

  /**
   * Raises the `health` alert of a new scan: the lane flagged it (`lane`) or the server's health
   * list blocks its subject (`server`). Answers the new alert's id, or null if it was raised before.
   */
  raiseHealth(place: AlertPlace, subjectKey: bigint | null, raisedBy: 'lane' | 'server'): number | null {
    const a = this.statements
      .get(
        `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
           raised_by, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        'health',
        place.at,
        place.receivedAt,
        place.kioskId,
        place.checkpointId,
        place.scanId,
        null,
        subjectKey,
        raisedBy,
        null,
      );
    return a.changes > 0 ? Number(a.lastInsertRowid) : null;
  }

  /**
   * Raises the `override` alert of a lane record the centre distrusts (about the subject of the
   * scan it names). Answers the new alert's id, or null if it was raised before.
   */
  raiseDistrusted(place: AlertPlace, recordId: string, issues: readonly string[]): number | null {
    const a = this.statements
      .get(
        `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
           raised_by, issues)
         VALUES ('override', ?, ?, ?, ?, ?, ?, (SELECT subject_key FROM scans WHERE id = ?), 'server', ?)`,
      )
      .run(
        place.at,
        place.receivedAt,
        place.kioskId,
        place.checkpointId,
        place.scanId,
        recordId,
        place.scanId,
        JSON.stringify(issues),
      );
    return a.changes > 0 ? Number(a.lastInsertRowid) : null;
  }

  /**
   * Raises the `replay` alert of two passages of one pass (on the later one, naming the earlier;
   * no subject). Answers the new alert's id, or null if this pair raised one before.
   */
  raiseReplay(r: ReplayDetails, receivedAt: number): number | null {
    const a = this.statements
      .get(
        `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, related_scan_id,
           raised_by, details) VALUES ('replay', ?, ?, ?, ?, ?, ?, 'server', ?)`,
      )
      .run(
        r.later.at,
        receivedAt,
        r.later.kioskId,
        r.later.checkpointId,
        r.later.scanId,
        r.earlier.scanId,
        JSON.stringify(r),
      );
    return a.changes > 0 ? Number(a.lastInsertRowid) : null;
  }

  /** The id of a scan's `health` alert, or undefined. */
  healthAlertOf(scanId: string): number | undefined {
    return (
      this.statements.get(`SELECT id FROM alerts WHERE scan_id = ? AND kind = 'health'`).get(scanId) as
        { id: number } | undefined
    )?.id;
  }

  /** One alert with the subject's current health status, or null. */
  alert(id: number): AlertRecord | null {
    const r = this.statements.get(`SELECT ${ALERT_COLUMNS} ${ALERT_FROM} WHERE a.id = ?`).get(id) as
      AlertRow | undefined;
    return r ? this.toAlert(r) : null;
  }

  /** Alerts, newest first; `before` pages by id. */
  list(opts: AlertQuery): AlertRecord[] {
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
  subject(id: number): AlertSubjectRecord | null {
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
   * Not audited: see `acknowledge`.
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

  /**
   * An admin acknowledges an alert (`ack`), and the first acknowledgement is audited
   * (`alert.ack`, with the note if any) in the same transaction.
   */
  acknowledge(
    id: number,
    at: number,
    actor: string,
    note?: string,
  ): { alert: AlertRecord; acked: boolean } | null {
    return this.db.transaction(() => {
      const r = this.ack(id, at, actor);
      if (r?.acked)
        this.audit.record(at, actor, 'alert.ack', String(id), {
          checkpointId: r.alert.checkpointId,
          kioskId: r.alert.kioskId,
          ...(note !== undefined && note !== '' && { note }),
        });
      return r;
    })();
  }

  private toAlert(r: AlertRow): AlertRecord {
    const base = {
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
      issues: r.issues === null ? [] : (JSON.parse(r.issues) as string[]),
    };
    if (isGateAlertKind(r.kind) || r.scan_id === null) {
      const details = JSON.parse(r.details ?? '{}') as GateAlertDetails;
      const kind = isGateAlertKind(r.kind) ? r.kind : 'gate_fault';
      return { ...base, record: null, ...gateAlertView(kind, details, r.cleared_at) };
    }
    const scan = this.statements
      .get(
        'SELECT k.id AS kiosk_id, s.decision, s.warnings FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE s.id = ?',
      )
      .get(r.scan_id) as { kiosk_id: string; decision: string; warnings: string } | undefined;
    const { overrides, acks } = laneRecordsOf(this.statements, r.scan_id);
    const record =
      r.record_id === null
        ? null
        : (overrides.find((o) => o.id === r.record_id) ?? acks.find((a) => a.id === r.record_id) ?? null);
    return {
      ...base,
      record,
      ...(r.kind === 'replay' && r.details !== null && { replay: JSON.parse(r.details) as ReplayDetails }),
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

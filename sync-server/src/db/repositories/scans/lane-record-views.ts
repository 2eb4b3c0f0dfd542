import type { AckView, LaneOutcome, OverrideView } from '@checkpoint-lane/shared';
import type { StatementCache } from './statement-cache.js';

/** Columns of an override or acknowledgement row joined to its lane. */
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

/** Every override and acknowledgement naming a scan, in arrival order, with the sending lane. */
export function laneRecordsOf(
  statements: StatementCache,
  scanId: string,
): { overrides: OverrideView[]; acks: AckView[] } {
  const overrides = (
    statements
      .get(
        `SELECT o.id, o.seq, o.at, k.id AS kiosk_id, k.name AS kiosk_name, o.verified, o.issues, o.original_decision,
             o.decision, o.officer_id, so.name AS officer_name, o.supervisor_id, ss.name AS supervisor_name,
             o.reason, o.note
           FROM overrides o JOIN kiosks k ON k.no = o.kiosk_no
             LEFT JOIN officers so ON so.id = o.officer_id LEFT JOIN officers ss ON ss.id = o.supervisor_id
           WHERE o.scan_id = ? ORDER BY o.at, o.no`,
      )
      .all(scanId) as (RecordRow & {
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
    statements
      .get(
        `SELECT a.id, a.seq, a.at, k.id AS kiosk_id, k.name AS kiosk_name, a.verified, a.issues, a.decision, a.note
           FROM acks a JOIN kiosks k ON k.no = a.kiosk_no WHERE a.scan_id = ? ORDER BY a.at, a.no`,
      )
      .all(scanId) as RecordRow[]
  ).map((a): AckView => ({ type: 'ack', ...recordFields(a) }));
  return { overrides, acks };
}

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

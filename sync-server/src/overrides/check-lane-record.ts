import {
  LANE_RECORD_ISSUES,
  type AcknowledgementRecord,
  type LaneRecordIssue,
  type OverrideRecord,
} from '@checkpoint-lane/shared';

// Why the centre does not believe a lane record: stable codes the alerts carry and the console
// words, part of the admin API contract (shared/src/contract/admin/scans.ts).
export { LANE_RECORD_ISSUES, type LaneRecordIssue };

/**
 * How far a record's lane time may be ahead of the server's receipt before it is flagged
 * `future_dated`. A lane stamps a record before it uploads it, so an honest `at` is never after
 * the receipt; only a lane clock running fast puts it there. Ten minutes is far more than a
 * lane's clock drifts between syncs (seconds a day) and leaves room for a lane's clock set by
 * hand, yet a record dated hours or days ahead (which would misplace it in the audit trail and
 * the alert's time) is flagged.
 */
export const MAX_LANE_CLOCK_AHEAD_MS = 10 * 60 * 1000;

/** The scan a record names, as the server holds it. */
export interface HeldScan {
  readonly kioskNo: number;
  /** The scan's lane time. */
  readonly at: number;
  readonly decision: string;
  readonly reasons: readonly string[];
}

/** An officer as the roster holds it (only what the checks read). */
export interface RosterOfficer {
  readonly role: 'officer' | 'supervisor';
  /** Null: every checkpoint. */
  readonly checkpoints: readonly string[] | null;
  readonly disabledAt: number | null;
}

/** What a check needs to know besides the record. */
export interface CheckContext {
  /** The uploading lane. */
  readonly kioskNo: number;
  readonly checkpointId: string;
  /** The scan named by the record, wherever it came from, or null. */
  readonly scan: HeldScan | null;
  /** When the server received the record (its own clock), to bound the lane's `at`. */
  readonly receivedAt: number;
  /** The central roster's version (0: never written). */
  readonly rosterVersion: number;
  readonly officer: (id: string) => RosterOfficer | null;
}

/** Whether an override lets a health-blocked red through (a supervisor's call, audited). */
export function releasesHealthRed(scan: HeldScan | null, r: OverrideRecord): boolean {
  return (
    scan !== null &&
    scan.decision === 'red' &&
    scan.reasons.includes('health_blocked') &&
    r.decision === 'green'
  );
}

function checkPerson(
  who: 'officer' | 'supervisor',
  id: string,
  at: number,
  ctx: CheckContext,
): LaneRecordIssue[] {
  const o = ctx.officer(id);
  if (o === null) return [`${who}_unknown`];
  const issues: LaneRecordIssue[] = [];
  // Disabled before the record was made (a later disable does not taint earlier overrides).
  if (o.disabledAt !== null && o.disabledAt <= at) issues.push(`${who}_disabled`);
  if (o.checkpoints !== null && !o.checkpoints.includes(ctx.checkpointId)) issues.push(`${who}_not_here`);
  if (who === 'supervisor' && o.role !== 'supervisor') issues.push('supervisor_not_supervisor');
  return issues;
}

/**
 * The reasons to distrust an override or acknowledgement (empty: verified). A record must name
 * a scan of the lane that sent it; an override's officer and supervisor must be on the central
 * roster, active when it was made, assigned to the lane's checkpoint (or everywhere), and the
 * supervisor must be one, judged at the later of the record's and the scan's lane time. The
 * record's time must not be before its scan's nor far after its receipt. Without a central roster (`no_roster`) people cannot be checked.
 */
export function checkLaneRecord(
  r: OverrideRecord | AcknowledgementRecord,
  ctx: CheckContext,
): LaneRecordIssue[] {
  const issues: LaneRecordIssue[] = [];
  if (ctx.scan === null) issues.push('scan_unknown');
  else if (ctx.scan.kioskNo !== ctx.kioskNo) issues.push('scan_other_lane');
  // `at` is the lane's word: a record cannot be made before its scan nor after it reached us.
  if (ctx.scan !== null && r.at < ctx.scan.at) issues.push('before_scan');
  if (r.at > ctx.receivedAt + MAX_LANE_CLOCK_AHEAD_MS) issues.push('future_dated');
  if (r.type === 'ack') return issues;
  if (ctx.scan !== null && ctx.scan.decision !== r.originalDecision) issues.push('original_mismatch');
  const needsSupervisor = releasesHealthRed(ctx.scan, r);
  if (needsSupervisor && r.supervisorId === null) issues.push('supervisor_missing');
  if (ctx.rosterVersion === 0) {
    issues.push('no_roster');
    return issues;
  }
  // A backdated record is judged no earlier than its scan, so it cannot slip under a disable.
  const at = ctx.scan === null ? r.at : Math.max(r.at, ctx.scan.at);
  issues.push(...checkPerson('officer', r.officerId, at, ctx));
  if (r.supervisorId !== null) {
    if (r.supervisorId === r.officerId) issues.push('supervisor_same_officer');
    issues.push(...checkPerson('supervisor', r.supervisorId, at, ctx));
  }
  return issues;
}

/** Whether the issues call for an alert: anything but a missing central roster alone. */
export function issuesRaiseAlert(issues: readonly LaneRecordIssue[]): boolean {
  return issues.some((i) => i !== 'no_roster');
}

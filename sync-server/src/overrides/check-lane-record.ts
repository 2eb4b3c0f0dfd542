import type { AcknowledgementRecord, OverrideRecord } from '@checkpoint-lane/shared';

/**
 * Why the centre does not believe an override or acknowledgement a lane uploaded. Stable codes:
 * the console words them, the alerts carry them.
 */
export const LANE_RECORD_ISSUES = [
  /** No scan with that id is held (the lane's sequence below the record is complete). */
  'scan_unknown',
  /** The scan was recorded by another lane. */
  'scan_other_lane',
  /** The override's original decision is not the scan's. */
  'original_mismatch',
  /** The central roster has never been written: the lane uses a hand-written officers.json. */
  'no_roster',
  'officer_unknown',
  'officer_disabled',
  /** The officer is not assigned to the lane's checkpoint. */
  'officer_not_here',
  /** A health-blocked red was let through without a supervisor. */
  'supervisor_missing',
  'supervisor_unknown',
  'supervisor_disabled',
  'supervisor_not_here',
  /** The named supervisor has the officer role. */
  'supervisor_not_supervisor',
  /** The officer vouched for themself as supervisor. */
  'supervisor_same_officer',
] as const;
/** A reason the centre does not believe a lane record. */
export type LaneRecordIssue = (typeof LANE_RECORD_ISSUES)[number];

/** The scan a record names, as the server holds it. */
export interface HeldScan {
  readonly kioskNo: number;
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
 * supervisor must be one. Without a central roster (`no_roster`) people cannot be checked.
 */
export function checkLaneRecord(
  r: OverrideRecord | AcknowledgementRecord,
  ctx: CheckContext,
): LaneRecordIssue[] {
  const issues: LaneRecordIssue[] = [];
  if (ctx.scan === null) issues.push('scan_unknown');
  else if (ctx.scan.kioskNo !== ctx.kioskNo) issues.push('scan_other_lane');
  if (r.type === 'ack') return issues;
  if (ctx.scan !== null && ctx.scan.decision !== r.originalDecision) issues.push('original_mismatch');
  const needsSupervisor = releasesHealthRed(ctx.scan, r);
  if (needsSupervisor && r.supervisorId === null) issues.push('supervisor_missing');
  if (ctx.rosterVersion === 0) {
    issues.push('no_roster');
    return issues;
  }
  issues.push(...checkPerson('officer', r.officerId, r.at, ctx));
  if (r.supervisorId !== null) {
    if (r.supervisorId === r.officerId) issues.push('supervisor_same_officer');
    issues.push(...checkPerson('supervisor', r.supervisorId, r.at, ctx));
  }
  return issues;
}

/** Whether the issues call for an alert: anything but a missing central roster alone. */
export function issuesRaiseAlert(issues: readonly LaneRecordIssue[]): boolean {
  return issues.some((i) => i !== 'no_roster');
}

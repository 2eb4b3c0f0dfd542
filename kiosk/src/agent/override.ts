import type {
  DecisionColour,
  LaneRecord,
  OverrideRecord,
  OverrideRefusalCode,
  OverrideRequestBody,
  ScanRecord,
} from '@checkpoint-lane/shared';
import type { LaneStore } from '../store/lane-store.js';
import type { OfficerRegistry, PinCheck } from './officers.js';

/** What the officer asks for on the touchscreen, bound to one scan by its id. */
export type OverrideRequest = OverrideRequestBody & { readonly scanId: string };

/**
 * Why an override was refused: the display channel's refusal codes. A failed PIN check is one
 * of them (`refused` below does not compile otherwise).
 */
export type OverrideError = OverrideRefusalCode;

/** The result of an override: the recorded override, or why it was refused (a lock-out says until when). */
export type OverrideResult =
  | { ok: true; record: OverrideRecord }
  | { ok: false; error: Exclude<OverrideError, 'locked_out'> }
  | { ok: false; error: 'locked_out'; lockedUntil: number; officerId: string };

/** Reason codes that say nothing by themselves: the note is the reason. */
const NEEDS_NOTE = new Set(['other']);

function refused(check: Exclude<PinCheck, { ok: true }>, officerId: string): OverrideResult {
  return check.failure === 'locked_out'
    ? { ok: false, error: 'locked_out', lockedUntil: check.lockedUntil, officerId }
    : { ok: false, error: check.failure };
}

/**
 * Checks and records an officer's override of one scan: the named officer's PIN (with that
 * officer's lock-out), a reason (`other` needs a note), a decision that differs from the current
 * one, and a named supervisor's PIN to let a health-blocked red through. The override is recorded
 * (and uploaded) with the original decision; the scan is untouched. PIN checks run off the event
 * loop; the scan's state is read again after them, so two overrides racing cannot both apply.
 */
export async function overrideDecision(
  store: LaneStore,
  officers: OfficerRegistry,
  request: OverrideRequest,
  clock: () => number,
): Promise<OverrideResult> {
  const reason = request.reason.trim();
  const note = request.note?.trim() ?? '';
  if (reason === '' || reason.length > 64 || note.length > 500 || (NEEDS_NOTE.has(reason) && note === '')) {
    return { ok: false, error: 'invalid_request' };
  }
  const check = (): { ok: true; scan: ScanRecord } | { ok: false; error: OverrideError } => {
    const scan: LaneRecord | null = store.findRecord(request.scanId);
    if (scan?.type !== 'scan') return { ok: false, error: 'unknown_scan' };
    if (currentDecision(store, scan) === request.decision) return { ok: false, error: 'same_decision' };
    return { ok: true, scan };
  };
  const before = check();
  if (!before.ok) return { ok: false, error: before.error as Exclude<OverrideError, 'locked_out'> };
  const needsSupervisor = before.scan.reasons.includes('health_blocked') && request.decision === 'green';
  if (needsSupervisor) {
    if (request.supervisorId === undefined || request.supervisorPin === undefined)
      return { ok: false, error: 'needs_supervisor' };
    if (request.supervisorId === request.officerId) return { ok: false, error: 'supervisor_same_officer' };
  }

  const officer = await officers.verify(request.officerId, request.officerPin, clock);
  if (!officer.ok) return refused(officer, request.officerId);
  let supervisorId: string | null = null;
  if (needsSupervisor && request.supervisorId !== undefined && request.supervisorPin !== undefined) {
    const supervisor = await officers.verify(
      request.supervisorId,
      request.supervisorPin,
      clock,
      'supervisor',
    );
    if (!supervisor.ok) return refused(supervisor, request.supervisorId);
    supervisorId = supervisor.officer.id;
  }
  const after = check();
  if (!after.ok) return { ok: false, error: after.error as Exclude<OverrideError, 'locked_out'> };
  const record = store.appendRecord(
    {
      type: 'override',
      scanId: after.scan.id,
      originalDecision: after.scan.decision,
      decision: request.decision,
      officerId: officer.officer.id,
      supervisorId,
      reason,
      note,
    },
    clock(),
  );
  return { ok: true, record: record as OverrideRecord };
}

/** The decision a scan stands at: its own, or its latest override's (acks, which change nothing, are skipped). */
export function currentDecision(store: LaneStore, scan: ScanRecord): DecisionColour {
  const last = store.overridesOf(scan.id).findLast((r): r is OverrideRecord => r.type === 'override');
  return last?.decision ?? scan.decision;
}

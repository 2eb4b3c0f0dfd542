import type { DecisionColour, LaneRecord, OverrideRecord, ScanRecord } from '@checkpoint-lane/shared';
import type { LaneStore } from '../store/lane-store.js';
import type { OfficerRegistry, PinFailure } from './officers.js';

/** What the officer asks for on the touchscreen. */
export interface OverrideRequest {
  readonly scanId: string;
  readonly decision: DecisionColour;
  readonly officerPin: string;
  /** Required to turn a health-blocked red into green (a second, supervising officer). */
  readonly supervisorPin?: string | undefined;
  /** A reason code from the display's list (e.g. `identity_checked`, `medical_emergency`). */
  readonly reason: string;
  readonly note?: string | undefined;
}

/** Why an override was refused. */
export type OverrideError =
  | PinFailure
  | 'unknown_scan'
  | 'same_decision'
  | 'needs_supervisor'
  | 'supervisor_same_officer'
  | 'invalid_request';

/** The result of an override: the recorded override, or why it was refused. */
export type OverrideResult = { ok: true; record: OverrideRecord } | { ok: false; error: OverrideError };

/**
 * Checks and records an officer's override: the PIN (with lock-out), a reason, a decision that
 * differs from the current one, and a supervisor's PIN to let a health-blocked red through.
 * The override is recorded (and uploaded) with the original decision; the scan is untouched.
 */
export function overrideDecision(
  store: LaneStore,
  officers: OfficerRegistry,
  request: OverrideRequest,
  now: number,
): OverrideResult {
  if (request.reason.trim() === '' || request.reason.length > 64 || (request.note?.length ?? 0) > 500) {
    return { ok: false, error: 'invalid_request' };
  }
  const scan: LaneRecord | null = store.findRecord(request.scanId);
  if (scan?.type !== 'scan') return { ok: false, error: 'unknown_scan' };
  const current = currentDecision(store, scan);
  if (current === request.decision) return { ok: false, error: 'same_decision' };

  const officer = officers.verify(request.officerPin, now);
  if (!officer.ok) return { ok: false, error: officer.failure };
  let supervisorId: string | null = null;
  if (scan.reasons.includes('health_blocked') && request.decision === 'green') {
    if (request.supervisorPin === undefined) return { ok: false, error: 'needs_supervisor' };
    const supervisor = officers.verify(request.supervisorPin, now, 'supervisor');
    if (!supervisor.ok) return { ok: false, error: supervisor.failure };
    if (supervisor.officer.id === officer.officer.id) return { ok: false, error: 'supervisor_same_officer' };
    supervisorId = supervisor.officer.id;
  }
  const record = store.appendRecord(
    {
      type: 'override',
      scanId: scan.id,
      originalDecision: scan.decision,
      decision: request.decision,
      officerId: officer.officer.id,
      supervisorId,
      reason: request.reason.trim(),
      note: request.note?.trim() ?? '',
    },
    now,
  );
  return { ok: true, record: record as OverrideRecord };
}

/** The decision a scan stands at: its own, or its latest override's. */
export function currentDecision(store: LaneStore, scan: ScanRecord): DecisionColour {
  const overrides = store.overridesOf(scan.id);
  const last = overrides.at(-1);
  return last?.type === 'override' ? last.decision : scan.decision;
}

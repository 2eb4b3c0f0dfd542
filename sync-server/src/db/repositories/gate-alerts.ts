import type { GateAlertDetails, GateFault, GateReport, LaneOutcome } from '@checkpoint-lane/shared';

/**
 * Gate alerts from a lane's heartbeat `gate` report (issue 17), the rules both engines follow:
 * - `gate_fault`: each fault the report holds has one open alert per lane and fault (a unique
 *   index keeps it one); a fault the lane no longer reports has its open alert cleared
 *   (`cleared_at`). A fault that comes back within {@link GATE_FAULT_FLAP_MS} of its last alert
 *   clearing (a flapping relay or scanner) reopens that alert instead of raising a new one: its
 *   `cleared_at` is emptied and `details.flaps` counts the returns; it stays acknowledged when
 *   acknowledged within {@link GATE_FAULT_FLAP_MS} (the supervisor has seen it; no nagging), else
 *   it is unacknowledged again. A fault back later than that raises a new alert.
 * - `gate_red`: the `reds` count of an unattended lane rose since its last report. Counts start at
 *   zero with the lane, so a lower count means it restarted: its reds since then are all new.
 */

/** How long after a fault alert clears a return of the fault reopens it (and how fresh an
 * acknowledgement must be to survive the reopening): 10 minutes. */
export const GATE_FAULT_FLAP_MS = 10 * 60_000;

/** The lane a heartbeat came from, as its alerts name it. */
export interface GateLane {
  readonly kioskId: string;
  readonly kioskName: string;
  readonly checkpointId: string;
}

/** What a heartbeat changed of a lane's gate alerts: ids raised and ids cleared. */
export interface GateHeartbeatResult {
  /** New gate alerts (`gate_fault`, `gate_red`). */
  readonly raised: readonly number[];
  /** `gate_fault` alerts whose fault the lane no longer reports (now `clearedAt`). */
  readonly cleared: readonly number[];
  /** `gate_fault` alerts reopened: their fault came back soon after clearing (`flaps` bumped). */
  readonly reopened: readonly number[];
  /** Whether the lane's previous heartbeat carried a gate report. */
  readonly hadGate: boolean;
}

/**
 * Reds new since the previous report: none unless the lane is unattended; the rise of the count,
 * or the whole count when it fell (the lane restarted) or there was no previous report.
 */
export function newGateReds(previous: GateReport | null, next: GateReport): number {
  if (!next.unattended) return 0;
  const before = previous?.counts.reds ?? 0;
  return next.counts.reds >= before ? next.counts.reds - before : next.counts.reds;
}

/** The faults a report holds, each once. */
export function heldFaults(report: GateReport | null): GateFault[] {
  return report === null ? [] : [...new Set(report.faults)];
}

/** A `gate_fault` alert's details. */
export function gateFaultDetails(lane: GateLane, report: GateReport, fault: GateFault): GateAlertDetails {
  return { ...lane, state: report.state, fault, faults: heldFaults(report) };
}

/** A `gate_red` alert's details. */
export function gateRedDetails(lane: GateLane, report: GateReport, reds: number): GateAlertDetails {
  return { ...lane, state: report.state, reds, redsTotal: report.counts.reds };
}

/** Whether an alert kind is a gate alert. */
export const isGateAlertKind = (kind: string): kind is 'gate_fault' | 'gate_red' =>
  kind === 'gate_fault' || kind === 'gate_red';

/**
 * A gate alert's `gate` and `outcome` as the admin API shows them: the stored details with
 * `clearedAt` (faults), and no lane outcome (no scan: `none`, red for reds, amber for faults).
 */
export function gateAlertView(
  kind: 'gate_fault' | 'gate_red',
  details: GateAlertDetails,
  clearedAt: number | null,
): { gate: GateAlertDetails; outcome: LaneOutcome } {
  return {
    gate: kind === 'gate_fault' ? { ...details, clearedAt } : details,
    outcome: {
      state: 'none',
      decision: kind === 'gate_red' ? 'red' : 'amber',
      at: null,
      override: null,
      ack: null,
    },
  };
}

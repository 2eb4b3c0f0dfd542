import {
  DESK_PENDING_SHOWN,
  DESK_RECENT_SIZE,
  type AcknowledgeRefusalCode,
  type AcknowledgementRecord,
  type DecisionColour,
  type Desk,
  type DeskItem,
  type LaneRecord,
  type OverrideRecord,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import { laneHealthStatusOf } from '../store/lane-outbox.js';
import type { LaneStore } from '../store/lane-store.js';
import type { LaneDecision, OfficerDetails } from './decision-loop.js';

export type { OfficerDetails };

/** Why an acknowledgement was refused (the display channel's refusal codes). */
export type AcknowledgeError = AcknowledgeRefusalCode;

/** The result of an acknowledgement: the recorded `ack`, or why not (with a sentence for the screen). */
export type AcknowledgeResult =
  | { readonly ok: true; readonly record: AcknowledgementRecord }
  | { readonly ok: false; readonly error: AcknowledgeError; readonly message: string };

/** How far back a restarted lane looks for scans still waiting for an officer. */
const RESTORE_WINDOW_MS = 24 * 3600_000;
/** How many of the latest records a restart reads to rebuild the desk. */
const RESTORE_RECORDS = 2000;
/**
 * Pending items held in memory at most (an unattended gate may never acknowledge anything): the
 * oldest beyond this leave the desk, not the record; they can still be acknowledged by id.
 */
export const MAX_PENDING = 10_000;

/** Does this scan wait for an officer? Every red and amber, and a green with warnings. */
export function needsOfficer(decision: DecisionColour, warnings: readonly unknown[]): boolean {
  return decision !== 'green' || warnings.length > 0;
}

/** Most urgent first: an F0 red, other reds, ambers, greens with warnings. */
function urgency(item: DeskItem): number {
  if (item.originalDecision === 'red') return item.healthStatus === 'F0' ? 0 : 1;
  return item.originalDecision === 'amber' ? 2 : 3;
}

/**
 * The officer's desk: every scan that needs an officer stays pending until one acknowledges or
 * overrides it (by its scan id), however many scans follow; plus the last 20 scans. Each change
 * is announced whole (`onChange`), so a display that reconnects or reloads loses nothing.
 */
export class LaneDesk {
  readonly #store: LaneStore;
  readonly #clock: () => number;
  readonly #onChange: (desk: Desk, latest: string | null) => void;
  readonly #maxPending: number;
  /** Pending items by scan id (insertion order = arrival order). */
  readonly #pending = new Map<string, DeskItem>();
  /** The last scans, newest first. */
  #recent: DeskItem[] = [];

  constructor(options: {
    store: LaneStore;
    clock: () => number;
    onChange: (desk: Desk, latest: string | null) => void;
    maxPending?: number;
  }) {
    this.#maxPending = options.maxPending ?? MAX_PENDING;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#onChange = options.onChange;
  }

  /**
   * Rebuilds the desk from the store after a restart: scans of the last 24 hours that need an
   * officer and have no acknowledgement or override are pending again; the strip shows the last
   * scans. Subjects and card holders were never stored, so restored items show neither; a
   * health-blocked scan shows the status the lane decided with, which the outbox keeps beside it.
   */
  restore(): void {
    const now = this.#clock();
    const records = this.#store.recentRecords(RESTORE_RECORDS);
    const handled = new Map<string, LaneRecord>();
    for (const r of records) {
      // Newest first: the first override seen is the latest one.
      if ((r.type === 'ack' || r.type === 'override') && !handled.has(r.scanId)) handled.set(r.scanId, r);
    }
    const pending: DeskItem[] = [];
    const recent: DeskItem[] = [];
    for (const r of records) {
      if (r.type !== 'scan') continue;
      const handling = handled.get(r.id);
      const item = this.#restoredItem(r, handling);
      if (recent.length < DESK_RECENT_SIZE) recent.push(item);
      if (item.state === 'pending' && r.at >= now - RESTORE_WINDOW_MS) pending.push(item);
    }
    this.#pending.clear();
    for (const item of pending.reverse()) this.#pending.set(item.scanId, item);
    this.#recent = recent;
    this.#changed(null);
  }

  /** Puts a recorded scan on the desk (a repeat that was not recorded changes nothing). */
  addScan(decision: LaneDecision, details: OfficerDetails): void {
    if (decision.scanId === null) return;
    const item: DeskItem = {
      scanId: decision.scanId,
      at: decision.at,
      decision: decision.decision,
      originalDecision: decision.decision,
      reasons: [...decision.reasons],
      warnings: [...decision.warnings],
      healthStatus: details.healthStatus,
      source: decision.source,
      subject: details.subject,
      holder: details.holder,
      ...(details.pass !== undefined && details.pass !== null && { pass: details.pass }),
      state: needsOfficer(decision.decision, decision.warnings) ? 'pending' : 'passed',
      override: null,
    };
    if (item.state === 'pending') {
      this.#pending.set(item.scanId, item);
      if (this.#pending.size > this.#maxPending) {
        const oldest = this.#pending.keys().next().value;
        if (oldest !== undefined) this.#pending.delete(oldest);
      }
    }
    this.#recent = [item, ...this.#recent].slice(0, DESK_RECENT_SIZE);
    this.#changed(item.scanId);
  }

  /**
   * The officer has seen a scan ("Đã xem"): recorded as an `ack` lane record (uploaded) and
   * taken off the pending queue. Only a scan still waiting may be acknowledged: one already
   * handled answers `already_handled`, never touching another scan.
   */
  acknowledge(scanId: string, note = ''): AcknowledgeResult {
    const item = this.#pending.get(scanId);
    let decision: DecisionColour;
    if (item !== undefined) {
      decision = item.decision;
    } else {
      const scan = this.#store.findRecord(scanId);
      if (scan?.type !== 'scan') {
        return { ok: false, error: 'unknown_scan', message: 'no scan with this id at this lane' };
      }
      const last = this.#store
        .overridesOf(scanId)
        .filter((r) => r.type !== 'scan')
        .at(-1);
      if (last !== undefined) {
        return {
          ok: false,
          error: 'already_handled',
          message:
            last.type === 'ack' ? 'this scan was already acknowledged' : 'this scan was already overridden',
        };
      }
      if (!needsOfficer(scan.decision, scan.warnings)) {
        return { ok: false, error: 'not_pending', message: 'this scan passed and waits for no one' };
      }
      // A scan beyond what the desk held (older than the restore window): still the officer's to close.
      decision = scan.decision;
    }
    const record = this.#store.appendRecord(
      { type: 'ack', scanId, decision, note: note.trim() },
      this.#clock(),
    ) as AcknowledgementRecord;
    this.#settle(scanId, (i) => ({ ...i, state: 'acknowledged' }));
    return { ok: true, record };
  }

  /** An override of `scanId` was recorded: its latest override (read from the store) settles it. */
  applyOverrideOf(scanId: string): void {
    const last = this.#store
      .overridesOf(scanId)
      .filter((r): r is OverrideRecord => r.type === 'override')
      .at(-1);
    if (last !== undefined) this.applyOverride(last);
  }

  /** An override was recorded: the scan takes its new decision and leaves the pending queue. */
  applyOverride(record: OverrideRecord): void {
    this.#settle(record.scanId, (i) => ({
      ...i,
      decision: record.decision,
      state: 'overridden',
      override: { officerId: record.officerId, supervisorId: record.supervisorId, reason: record.reason },
    }));
  }

  /** The desk as displays get it. */
  snapshot(): Desk {
    const pending = [...this.#pending.values()].sort((a, b) => urgency(a) - urgency(b) || a.at - b.at);
    return {
      pending: pending.slice(0, DESK_PENDING_SHOWN),
      pendingCount: pending.length,
      recent: this.#recent,
    };
  }

  /** The scan now waiting first (for tests and the relay), or null. */
  firstPending(): DeskItem | null {
    return this.snapshot().pending[0] ?? null;
  }

  #settle(scanId: string, update: (item: DeskItem) => DeskItem): void {
    const pending = this.#pending.get(scanId);
    this.#pending.delete(scanId);
    this.#recent = this.#recent.map((i) => (i.scanId === scanId ? update(i) : i));
    if (pending !== undefined || this.#recent.some((i) => i.scanId === scanId)) this.#changed(null);
  }

  #changed(latest: string | null): void {
    this.#onChange(this.snapshot(), latest);
  }

  #restoredItem(scan: ScanRecord, handling: LaneRecord | undefined): DeskItem {
    const override = handling?.type === 'override' ? handling : null;
    return {
      scanId: scan.id,
      at: scan.at,
      decision: override?.decision ?? scan.decision,
      originalDecision: scan.decision,
      reasons: [...scan.reasons],
      warnings: [...scan.warnings],
      healthStatus:
        scan.reasons.includes('health_blocked') || scan.reasons.includes('health_deceased')
          ? laneHealthStatusOf(scan)
          : null,
      source: scan.source,
      subject: null,
      holder: null,
      state:
        handling === undefined
          ? needsOfficer(scan.decision, scan.warnings)
            ? 'pending'
            : 'passed'
          : handling.type === 'ack'
            ? 'acknowledged'
            : 'overridden',
      restored: true,
      override:
        override === null
          ? null
          : { officerId: override.officerId, supervisorId: override.supervisorId, reason: override.reason },
    };
  }
}

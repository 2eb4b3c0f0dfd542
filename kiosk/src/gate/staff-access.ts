// Who may open the officer panel at an unattended lane (issue 17, gate mode), and for how long.
// Two ways in: a staff card (a CLSC1 QR the server signed with its list-signing key) scanned at
// the lane, or an officer's PIN typed after the gate screen's hidden corner. Either opens the
// panel for a minute (`unlockMs`); `lock()` closes it at once; it closes by itself when the time
// is up. A card is valid only when its signature verifies with a key the lane pins, it names
// this checkpoint, it has not expired by the lane's clock, and its officer is on the synced
// roster (removing an officer revokes every card of theirs). A PIN goes through the officer
// registry's check, so the same lock-outs apply as at the desk. The gate screen is public, so the
// lane also limits failed unlocks as a whole: after 10 refused PINs or cards within 10 minutes
// every PIN is refused (`locked_out`) for 10 minutes, whichever officer it names. A valid signed
// card still unlocks then (it cannot be guessed). Re-unlocking while unlocked extends the minute,
// but one continuous unlock never lasts past 5 minutes from its first unlock: then it locks and a
// new unlock is needed. Logs name reasons and officer ids (as the registry's lock-out lines do),
// never a card's text nor a PIN.
import {
  looksLikeStaffCard,
  parseStaffCard,
  staffCardMessage,
  type GateUnlock,
  type ListRefusalReason,
  type Result,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { OfficerRegistry } from '../agent/officers.js';

/** The part of the list trust a staff card is checked with (`ListTrust.verifyDetached`). */
export interface StaffCardTrust {
  verifyDetached(
    message: string,
    signature: string | undefined,
    now: number,
  ): Result<string, ListRefusalReason>;
}

/** Why a staff card was not taken. */
export type StaffCardRefusal =
  /** Starts like a card (`CLSC1:`) but is not a well-formed one. */
  | 'malformed'
  /** Signed for another checkpoint. */
  | 'wrong_checkpoint'
  /** Past its end by the lane's clock. */
  | 'expired'
  /** Its officer is not on this lane's roster (removed, or never of this checkpoint). */
  | 'unknown_officer'
  /** The signature: absent, of an unknown or retired key, or not over this card. */
  | ListRefusalReason;

/** Why a PIN unlock was refused (the contract's refusals but `not_gate_mode`, which the agent answers). */
export type StaffPinRefusal = 'wrong_pin' | 'locked_out' | 'unknown_officer';

/** What a scanned staff card did. */
export type StaffCardResult =
  | { readonly ok: true; readonly unlock: GateUnlock }
  | { readonly ok: false; readonly reason: StaffCardRefusal };

/** What a PIN unlock did. */
export type StaffPinResult =
  | { readonly ok: true; readonly unlock: GateUnlock }
  | { readonly ok: false; readonly error: StaffPinRefusal; readonly lockedUntil?: number };

/** Options of the staff access. */
export interface StaffAccessOptions {
  readonly trust: StaffCardTrust;
  readonly officers: OfficerRegistry;
  /** This lane's checkpoint now (it may change with the synced config). */
  readonly checkpointId: () => string;
  /** The lane's clock (epoch ms). */
  readonly clock?: () => number;
  /** How long an unlock lasts (60 s). */
  readonly unlockMs?: number;
  /** The longest one continuous unlock lasts, re-unlocks included (5 min). */
  readonly maxUnlockMs?: number;
  /** Lane-wide: this many failed unlocks (PIN or card) within `failureWindowMs`… (10) */
  readonly maxFailures?: number;
  /** …within this long (10 min)… */
  readonly failureWindowMs?: number;
  /** …refuse every PIN unlock for this long (10 min). */
  readonly failureLockoutMs?: number;
  readonly logger: Pick<Logger, 'info'>;
}

/** A failed unlock (a refused PIN or staff card), as `onFailure` listeners hear it. */
export interface StaffAccessFailure {
  readonly via: GateUnlock['via'];
  /** Lane clock (epoch ms). */
  readonly at: number;
  /** Until when every PIN unlock is refused (the lane-wide limit); null: not refused. */
  readonly laneLockedUntil: number | null;
}

/** The officer panel's lock at an unattended lane. */
export class StaffAccess {
  readonly #trust: StaffCardTrust;
  readonly #officers: OfficerRegistry;
  readonly #checkpointId: () => string;
  readonly #clock: () => number;
  readonly #unlockMs: number;
  readonly #log: Pick<Logger, 'info'>;
  readonly #maxUnlockMs: number;
  readonly #maxFailures: number;
  readonly #failureWindowMs: number;
  readonly #failureLockoutMs: number;
  readonly #listeners = new Set<(unlock: GateUnlock | null) => void>();
  readonly #failureListeners = new Set<(failure: StaffAccessFailure) => void>();
  #unlock: GateUnlock | null = null;
  /** When the continuous unlock now open began (lane clock). */
  #since = 0;
  /** Failed unlocks within the window (lane clock), oldest first. */
  #recentFailures: number[] = [];
  #laneLockedUntil: number | null = null;
  #failures = 0;
  #cardRefusedAt: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: StaffAccessOptions) {
    const unlockMs = options.unlockMs ?? 60_000;
    if (!Number.isFinite(unlockMs) || unlockMs <= 0) throw new Error('StaffAccess: unlockMs must be > 0');
    this.#trust = options.trust;
    this.#officers = options.officers;
    this.#checkpointId = options.checkpointId;
    this.#clock = options.clock ?? Date.now;
    this.#unlockMs = unlockMs;
    this.#maxUnlockMs = positive(options.maxUnlockMs ?? 5 * 60_000, 'maxUnlockMs');
    this.#maxFailures = positive(options.maxFailures ?? 10, 'maxFailures');
    this.#failureWindowMs = positive(options.failureWindowMs ?? 10 * 60_000, 'failureWindowMs');
    this.#failureLockoutMs = positive(options.failureLockoutMs ?? 10 * 60_000, 'failureLockoutMs');
    this.#log = options.logger;
  }

  /**
   * A scanned text: null when it is not a staff card (decide it as usual); otherwise the card is
   * checked and, when valid, unlocks the panel. A card is never decided or recorded either way.
   */
  card(text: string): StaffCardResult | null {
    if (!looksLikeStaffCard(text)) return null;
    const result = this.#check(text);
    if (!result.ok) {
      this.#log.info({ staffCard: 'refused', reason: result.reason }, 'staff card refused');
      this.#cardRefusedAt = this.#clock();
      this.#fail('staff_card');
      return result;
    }
    return { ok: true, unlock: this.#open(result.officerId, 'staff_card') };
  }

  #check(text: string): { ok: true; officerId: string } | { ok: false; reason: StaffCardRefusal } {
    const parsed = parseStaffCard(text);
    if (parsed === null) return { ok: false, reason: 'malformed' };
    const { card, signature } = parsed;
    const now = this.#clock();
    const verified = this.#trust.verifyDetached(staffCardMessage(card), signature, now);
    if (!verified.ok) return { ok: false, reason: verified.error };
    if (card.checkpointId !== this.#checkpointId()) return { ok: false, reason: 'wrong_checkpoint' };
    if (now >= card.expiresAt * 1000) return { ok: false, reason: 'expired' };
    if (!this.#officers.list(now).some((o) => o.id === card.officerId))
      return { ok: false, reason: 'unknown_officer' };
    return { ok: true, officerId: card.officerId };
  }

  /** An officer's PIN (the hidden corner): checked by the registry, lock-outs included. */
  async pin(officerId: string, pin: string): Promise<StaffPinResult> {
    // Too many failed unlocks at this lane lately: no PIN is even checked until the time is up.
    const laneLocked = this.laneLockedUntil();
    if (laneLocked !== null) {
      this.#log.info(
        { gate: 'unlock_refused', via: 'pin', reason: 'lane_locked_out' },
        'gate panel unlock refused',
      );
      this.#fail('pin');
      return { ok: false, error: 'locked_out', lockedUntil: laneLocked };
    }
    const check = await this.#officers.verify(officerId, pin, this.#clock);
    if (check.ok) return { ok: true, unlock: this.#open(check.officer.id, 'pin') };
    this.#log.info(
      { gate: 'unlock_refused', via: 'pin', reason: check.failure },
      'gate panel unlock refused',
    );
    const nowLaneLocked = this.#fail('pin');
    if (nowLaneLocked !== null || check.failure === 'locked_out')
      return {
        ok: false,
        error: 'locked_out',
        lockedUntil: Math.max(nowLaneLocked ?? 0, check.failure === 'locked_out' ? check.lockedUntil : 0),
      };
    // `not_supervisor` cannot come back: no role is asked for.
    return { ok: false, error: check.failure === 'unknown_officer' ? 'unknown_officer' : 'wrong_pin' };
  }

  /** Locks the panel now (the officer's "Khoá" button). */
  lock(): void {
    if (this.#unlock === null) return;
    this.#log.info({ gate: 'locked', via: this.#unlock.via, reason: 'officer' }, 'gate panel locked');
    this.#close();
  }

  /** Who has the panel open, and until when; null: locked. */
  current(): GateUnlock | null {
    if (this.#unlock !== null && this.#clock() >= this.#unlock.until) {
      const reason = this.#unlock.until >= this.#since + this.#maxUnlockMs ? 'max_time' : 'time';
      this.#log.info({ gate: 'locked', via: this.#unlock.via, reason }, 'gate panel locked');
      this.#close();
    }
    return this.#unlock;
  }

  /** Until when every PIN unlock is refused (too many failed unlocks lately); null: not refused. */
  laneLockedUntil(): number | null {
    if (this.#laneLockedUntil !== null && this.#clock() >= this.#laneLockedUntil)
      this.#laneLockedUntil = null;
    return this.#laneLockedUntil;
  }

  /** Failed unlocks (refused PINs and staff cards) since the lane started. */
  failures(): number {
    return this.#failures;
  }

  /** When a staff card was last refused here (lane clock); null: never. */
  cardRefusedAt(): number | null {
    return this.#cardRefusedAt;
  }

  /** Calls `listener` on every failed unlock; returns the unsubscribe. */
  onFailure(listener: (failure: StaffAccessFailure) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Calls `listener` with the unlock (null: locked) on every change; returns the unsubscribe. */
  onChange(listener: (unlock: GateUnlock | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the lock timer (the agent stopping); the panel is locked, no listener is called. */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#unlock = null;
  }

  /**
   * Counts a failed unlock; the limit's 10th within the window refuses PINs lane-wide (failures
   * while refused are counted, never extend it). Answers until when PINs are refused (null: not).
   */
  #fail(via: GateUnlock['via']): number | null {
    const now = this.#clock();
    this.#failures++;
    let lockedUntil = this.laneLockedUntil();
    if (lockedUntil === null) {
      this.#recentFailures = [...this.#recentFailures.filter((t) => now - t < this.#failureWindowMs), now];
      if (this.#recentFailures.length >= this.#maxFailures) {
        this.#recentFailures = [];
        lockedUntil = now + this.#failureLockoutMs;
        this.#laneLockedUntil = lockedUntil;
        this.#log.info(
          { gate: 'unlocks_refused', reason: 'too_many_failures', until: lockedUntil },
          'gate panel: too many failed unlocks, PIN unlocks refused',
        );
      }
    }
    const failure: StaffAccessFailure = { via, at: now, laneLockedUntil: lockedUntil };
    for (const listener of this.#failureListeners) {
      try {
        listener(failure);
      } catch {
        // A listener's fault is its own.
      }
    }
    return lockedUntil;
  }

  #open(officerId: string, via: GateUnlock['via']): GateUnlock {
    const now = this.#clock();
    // A re-unlock while unlocked extends it, never past the continuous unlock's limit.
    if (this.current() === null) this.#since = now;
    const until = Math.min(now + this.#unlockMs, this.#since + this.#maxUnlockMs);
    const unlock: GateUnlock = { officerId, until, via };
    this.#unlock = unlock;
    this.#log.info({ gate: 'unlocked', via, officerId }, 'gate panel unlocked');
    this.#arm();
    this.#emit();
    return unlock;
  }

  #close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#unlock = null;
    this.#emit();
  }

  /** Wakes at the unlock's end (again if the clock says it is not there yet). */
  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#unlock === null) return;
    const left = Math.max(0, this.#unlock.until - this.#clock());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.current() !== null) this.#arm();
    }, left + 20);
    this.#timer.unref();
  }

  #emit(): void {
    const now = this.#unlock;
    for (const listener of this.#listeners) {
      try {
        listener(now);
      } catch {
        // A listener's fault is its own; the lock state stays right for the others.
      }
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`StaffAccess: ${name} must be > 0`);
  return value;
}

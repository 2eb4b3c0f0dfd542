// What the lane tells its displays (and any other listener): each event as a display-channel
// message (shared/src/contract/display-channel.ts), the traveller's view with its rule for
// overrides, and the sync status as a screen needs it.
import type { GateView, LaneDecision, LaneSyncView, RelayedMessage } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { SyncStatus } from '../sync/lane-sync.js';

/** Everything a display (or any observer) hears from the lane: display-channel messages. */
export type LaneEvent = RelayedMessage;

/** How long after its scan an override may still change the traveller's screen (3 min). */
export const TRAVELLER_HOLD_MS = 3 * 60_000;

/**
 * The gate as the traveller's screen may see it: the same states and countdown, never who has
 * the officer panel open (`unlock` null). The display stream sends `gate` messages to traveller
 * sockets in this form.
 */
export function travellerGateView(view: GateView): GateView {
  return { ...view, unlock: null };
}

/** Tells the lane's listeners what happens, in the display channel's words. */
export class LanePublisher {
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #travellerHoldMs: number;
  readonly #listeners = new Set<(event: LaneEvent) => void>();
  #offlineSince: number | null = null;
  /** The latest recorded scan, the one the traveller's screen speaks for; null after a repeat or a restart. */
  #travellerScan: { readonly scanId: string; readonly at: number } | null = null;

  constructor(options: { logger: Logger; clock: () => number; travellerHoldMs?: number | undefined }) {
    this.#log = options.logger;
    this.#clock = options.clock;
    this.#travellerHoldMs = options.travellerHoldMs ?? TRAVELLER_HOLD_MS;
  }

  /** Subscribes to the lane's events; answers the unsubscribe function. */
  onEvent(listener: (event: LaneEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener; a failing listener is logged and never stops the others. */
  emit(event: LaneEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error(
          { err: error instanceof Error ? error.message : String(error) },
          'event listener failed',
        );
      }
    }
  }

  /**
   * The traveller's screen after a decision: go for a green, see an officer for anything else.
   * The screen now speaks for this scan (for none after a repeat, which records nothing).
   */
  showTraveller(d: LaneDecision): void {
    this.#travellerScan = d.scanId === null ? null : { scanId: d.scanId, at: d.at };
    this.emit({
      type: 'traveller',
      data: { state: d.decision === 'green' ? 'go' : 'see_officer', at: d.at },
    });
  }

  /**
   * The traveller's screen after an override, only when it is for the latest scan, within the
   * hold: the desk's queue and strip let officers override older scans, and those must never
   * speak to (or open the gate for) whoever is there now. Answers whether it was shown (the
   * gate follows an override only then).
   */
  showOverride(scanId: string, decision: LaneDecision['decision']): boolean {
    const shown = this.#travellerScan;
    const now = this.#clock();
    if (shown?.scanId !== scanId || now - shown.at > this.#travellerHoldMs) return false;
    this.emit({ type: 'traveller', data: { state: decision === 'green' ? 'go' : 'see_officer', at: now } });
    return true;
  }

  /**
   * The gate after a change, as the officer's screen sees it (with `unlock`); the display stream
   * gives traveller sockets {@link travellerGateView} of it.
   */
  showGate(view: GateView): void {
    this.emit({ type: 'gate', data: view });
  }

  /** The sync status with what a screen needs to be honest about it: since when offline, the lists' budget. */
  syncView(s: SyncStatus, freshnessBudgetSec: number): LaneSyncView {
    if (s.online) this.#offlineSince = null;
    else this.#offlineSince ??= this.#clock();
    return { ...s, offlineSince: this.#offlineSince, freshnessBudgetSec };
  }
}

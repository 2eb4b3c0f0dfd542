// What a gate screen shows (issue 17, gate mode): pure, shared by the officer page's gate screen
// and the traveller page. The gate's own state leads (open with its countdown, fault); the latest
// decision fills in for a screen-only totem (no relay) and for the moment before the gate's
// message; red and amber always look the same ("see a staff member"). Words: gate-words.ts.
import type { DecisionColour, GateView } from '@checkpoint-lane/shared';

/** What a gate screen shows. */
export type GateShow = 'ready' | 'go' | 'see_staff' | 'closed' | 'bad_card';

/** How long a decision (or a refused staff card) holds the screen when the gate does not say more. */
export const GATE_HOLD_MS = 5000;
/** How long "Thẻ nhân viên không hợp lệ" shows. */
export const BAD_CARD_MS = 4000;

/** The latest decision the screen heard of, and when (screen clock). */
export interface HeardDecision {
  readonly colour: DecisionColour;
  readonly at: number;
}

/** What the screen knows. */
export interface GateInputs {
  readonly view: GateView | null;
  /** The link to the lane agent is up and it ticks (the officer page), or the socket is open (traveller). */
  readonly alive: boolean;
  readonly latest: HeardDecision | null;
  /** When the gate was last seen `open` (screen clock); null: never. */
  readonly openSeenAt: number | null;
  /** When a staff card was refused here (screen clock); null: none. */
  readonly badCardAt: number | null;
  readonly now: number;
}

/** What to show, and the seconds left while the gate is open (null: no countdown). */
export interface GateShown {
  readonly show: GateShow;
  readonly seconds: number | null;
}

/**
 * The screen's state: closed when the agent is lost or the gate is in fault; a refused staff
 * card briefly; the gate open with its countdown; a decision just heard (a green only where no
 * relay drives the gate, or before its gate message — a green the gate did not open for, a
 * repeat, never says "go" at a barrier); the gate shut after a red or amber; else ready.
 */
export function gateShown(i: GateInputs): GateShown {
  const view = i.view;
  if (!i.alive || view === null || view.state === 'fault') return { show: 'closed', seconds: null };
  if (i.badCardAt !== null && i.now - i.badCardAt >= 0 && i.now - i.badCardAt < BAD_CARD_MS)
    return { show: 'bad_card', seconds: null };
  if (view.state === 'open' && view.openUntil !== null && view.openUntil > i.now)
    return { show: 'go', seconds: Math.max(1, Math.ceil((view.openUntil - i.now) / 1000)) };
  const latest = i.latest;
  if (latest !== null && i.now - latest.at >= 0 && i.now - latest.at < GATE_HOLD_MS) {
    if (latest.colour !== 'green') return { show: 'see_staff', seconds: null };
    // The gate opened for it and has shut again since: the green is over.
    const openedForIt = i.openSeenAt !== null && i.openSeenAt >= latest.at - 2000;
    if (view.relay === null && !openedForIt) return { show: 'go', seconds: null };
  }
  if (view.state === 'shut') return { show: 'see_staff', seconds: null };
  return { show: 'ready', seconds: null };
}

/** Taps on the hidden corner that open the officer panel: 3 within 2 s (a long press is timed by the page). */
export class CornerTaps {
  static readonly TAPS = 3;
  static readonly WITHIN_MS = 2000;
  static readonly LONG_PRESS_MS = 1500;
  #taps: number[] = [];

  /** A tap at `at` (ms): true when it makes the third within 2 s (the taps then start over). */
  tap(at: number): boolean {
    this.#taps = [...this.#taps.filter((t) => at - t < CornerTaps.WITHIN_MS && at >= t), at];
    if (this.#taps.length < CornerTaps.TAPS) return false;
    this.#taps = [];
    return true;
  }

  /** Forgets the taps (the panel opened some other way). */
  reset(): void {
    this.#taps = [];
  }
}

// What the display API needs of the lane agent: the one seam between the HTTP/WebSocket server
// and the lane. `LaneAgent` is one; tests pass small stubs.
import type {
  Desk,
  DeskOfficer,
  DisplaySource,
  GateUnlock,
  GateView,
  LaneDecision,
  LaneStatusView,
  OverrideRequestBody,
  RelayedMessage,
} from '@checkpoint-lane/shared';
import type { AcknowledgeResult } from '../agent/desk.js';
import type { StaffCardResult } from '../gate/staff-access.js';
import type { OverrideResult } from '../agent/override.js';
import type { PassedResult } from '../agent/vehicle-tracker.js';

/** The answer of "Xe đã qua": the vehicle as it closed, or why not. */
export type VehiclePassedResult = PassedResult | { readonly ok: false; readonly error: 'not_vehicle_mode' };

export type { DisplaySource } from '@checkpoint-lane/shared';

/** Why a gate unlock was refused (the display channel's `GATE_UNLOCK_REFUSALS`). */
export type GateUnlockRefusal = 'wrong_pin' | 'locked_out' | 'unknown_officer' | 'not_gate_mode';

/** The answer of a PIN unlock at an unattended lane: the unlock, or why not. */
export type GateUnlockResult =
  | { readonly ok: true; readonly unlock: GateUnlock }
  | { readonly ok: false; readonly error: GateUnlockRefusal; readonly lockedUntil?: number };

/** What the display may ask of the lane agent. */
export interface DisplayAgent {
  /** Decides a code the display sends (a typed one already checked). */
  submit(text: string, source: DisplaySource): LaneDecision;
  /** An officer's override of scan `scanId`. */
  override(scanId: string, body: OverrideRequestBody): Promise<OverrideResult>;
  /** "Đã xem" on scan `scanId`: refused (never redirected) when it is unknown or already handled. */
  acknowledge(scanId: string, note?: string): AcknowledgeResult;
  /** The officer's desk (pending scans, the last 20), sent in every officer `hello`. */
  desk(): Desk;
  /** Devices, sync and checkpoint, sent in every officer `hello` and on `GET /api/status`. */
  status(): LaneStatusView;
  /** The officers the override dialog lists (no PIN hashes), with their lock-out state. */
  officers(): DeskOfficer[];
  /**
   * "Xe đã qua" on vehicle `vehicleId` (vehicle mode): closes it if it is the one open, else says
   * why not. A stub without vehicles leaves it out (the action answers 409 `not_vehicle_mode`).
   */
  vehiclePassed?(vehicleId: string): VehiclePassedResult;
  /**
   * The gate as a display sees it (issue 17): the officer's view all of it, the traveller's with
   * `unlock` null. A stub without a gate leaves it out (no gate message is sent, no lane is
   * unattended: the gate actions answer 409 `not_gate_mode`).
   */
  gateView?(view: 'officer' | 'traveller'): GateView;
  /**
   * Gate mode: a code checked as a staff card before it is decided (null: not a card, or not
   * gate mode: decide it). A card is never decided nor recorded; a valid one opens the panel.
   */
  staffCard?(text: string): StaffCardResult | null;
  /** Gate mode: an officer's PIN (the hidden corner) opens the officer panel for a minute. */
  gateUnlock?(officerId: string, pin: string): Promise<GateUnlockResult>;
  /** Gate mode: closes the officer panel now (the panel's "Khoá"). What it returns is not used. */
  gateLock?(): unknown;
  /**
   * How many officer screens (in gate mode: gate screens) are connected now; the display server
   * calls it on every connect and close (a gate with no screen for 10 s is held shut).
   */
  displayConnected?(count: number): void;
  /** Lane events (decisions, desk, devices, sync, overrides, the traveller's view), relayed to the displays. */
  onEvent(listener: (event: RelayedMessage) => void): () => void;
}

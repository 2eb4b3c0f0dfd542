// What the display API needs of the lane agent: the one seam between the HTTP/WebSocket server
// and the lane. `LaneAgent` is one; tests pass small stubs.
import type {
  Desk,
  DeskOfficer,
  DisplaySource,
  LaneDecision,
  LaneStatusView,
  OverrideRequestBody,
  RelayedMessage,
} from '@checkpoint-lane/shared';
import type { AcknowledgeResult } from '../agent/desk.js';
import type { OverrideResult } from '../agent/override.js';
import type { PassedResult } from '../agent/vehicle-tracker.js';

/** The answer of "Xe đã qua": the vehicle as it closed, or why not. */
export type VehiclePassedResult = PassedResult | { readonly ok: false; readonly error: 'not_vehicle_mode' };

export type { DisplaySource } from '@checkpoint-lane/shared';

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
  /** Lane events (decisions, desk, devices, sync, overrides, the traveller's view), relayed to the displays. */
  onEvent(listener: (event: RelayedMessage) => void): () => void;
}

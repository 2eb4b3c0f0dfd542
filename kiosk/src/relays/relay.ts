// A relay board that drives a gate barrier and/or a tower light (issue 17). One interface for
// every adapter (serial: LCUS-type and Modbus-RTU boards; USB-HID: 16c0:05df boards; simulated),
// like the scanners; the gate controller (kiosk/src/gate) decides what to send and when.
import type { DeviceState } from '../scanners/scanner.js';

/** How a relay adapter is doing: a device state of kind `relay`. */
export type RelayState = DeviceState & { readonly kind: 'relay' };

/**
 * A relay adapter. `start` never throws for a missing or failing board: the adapter reports
 * `disconnected`/`error` through `onStatus` and keeps trying with back-off. `write` sends the
 * frames in order and resolves true once all are written to the device (drained), false when
 * the board is not connected or a write failed (it never rejects); frames given while a write is
 * in flight queue behind it, in order.
 */
export interface Relay {
  /** E.g. `serial:/dev/ttyUSB0`, `hid:16c0:05df`, `simulated`. */
  readonly device: string;
  state(): RelayState;
  start(onStatus: (state: RelayState) => void): void;
  write(frames: readonly Uint8Array[]): Promise<boolean>;
  /** Closes the board (after any write in flight). Sends nothing itself. */
  stop(): Promise<void>;
}

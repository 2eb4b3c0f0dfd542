import type { ScanSource } from '@checkpoint-lane/shared';

/** What a device adapter reports of itself; the display's status strip shows it. */
export type DeviceStatus = 'connecting' | 'connected' | 'disconnected' | 'error';

/** A device's state, with a reason when it is not connected (no payload content, ever). */
export interface DeviceState {
  readonly device: string;
  /** A scan source, or `relay` for a gate or tower-light relay board (kiosk/src/relays). */
  readonly kind: ScanSource | 'relay';
  readonly status: DeviceStatus;
  readonly detail?: string;
}

/** One code read by a device: the raw text, before any parsing. */
export interface ScanInput {
  readonly text: string;
  readonly source: ScanSource;
  readonly device: string;
}

/** Where an adapter sends what it reads and how it is. */
export interface ScannerSink {
  scan(input: ScanInput): void;
  status(state: DeviceState): void;
}

/**
 * A scanner adapter: serial, HID POS, stdin or simulated. `start` never throws for a missing or
 * failing device: the adapter reports `disconnected`/`error` and keeps trying with back-off.
 */
export interface Scanner {
  readonly device: string;
  readonly kind: ScanSource;
  state(): DeviceState;
  start(sink: ScannerSink): void;
  stop(): Promise<void>;
}

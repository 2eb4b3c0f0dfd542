// Relay boards for gates and tower lights (issue 17): the adapters, the `--relay` choice, and a
// relay profile's frames and timings. The gate controller (kiosk/src/gate) imports from here.
export type { Relay, RelayState } from './relay.js';
export {
  RELAY_DEFAULT_HOLD_MS,
  relayFrames,
  relayTiming,
  type RelayFrames,
  type RelayProfile,
} from './relay-profile.js';
export {
  SerialRelay,
  type RelayPortLike,
  type RelaySerialSettings,
  type SerialRelayOptions,
} from './serial-relay.js';
export {
  HidRelay,
  loadNodeHidRelayBackend,
  type HidRelayBackend,
  type HidRelayDevice,
  type HidRelayInfo,
  type HidRelayOptions,
} from './hid-relay.js';
export { SimulatedRelay, type RecordedFrame, type SimulatedRelayOptions } from './simulated-relay.js';
export { buildRelay, parseRelayChoice, type BuildRelayOptions, type RelayChoice } from './build-relay.js';
export {
  formatHexFrame,
  lcusFrame,
  modbusCrc16,
  modbusWriteCoil,
  parseHexFrame,
} from '../profiles/relay-frames.js';

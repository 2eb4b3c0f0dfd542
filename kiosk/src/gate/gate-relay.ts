// A relay board and its profile as the gate controller takes them: frames decoded, timings with
// their defaults (kiosk/src/relays).
import { relayFrames, relayTiming, type Relay, type RelayProfile } from '../relays/index.js';
import type { GateRelaySetup } from './gate-controller.js';

/** The gate's relay setup for `relay` driven by `profile` (a profile the loader validated). */
export function gateRelaySetup(relay: Relay, profile: RelayProfile): GateRelaySetup {
  const timing = relayTiming(profile);
  return {
    relay,
    frames: relayFrames(profile),
    openMs: timing.openMs,
    holdMs: timing.holdMs,
    keepAliveMs: timing.keepAliveMs,
    passbackSec: timing.passbackSec,
  };
}

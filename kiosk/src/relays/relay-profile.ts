// A relay profile's frames decoded to bytes, per gate state, for the gate controller.
import type { RelayProfile } from '../profiles/hardware-profile.js';
import { parseHexFrame } from '../profiles/relay-frames.js';

export type { RelayProfile } from '../profiles/hardware-profile.js';

/** How long red/amber frames stay before idle when a profile does not say (`holdMs`). */
export const RELAY_DEFAULT_HOLD_MS = 5000;

/** A relay profile's frames as bytes. `keepAlive` null: the profile has no keep-alive frames of its own. */
export interface RelayFrames {
  readonly idle: readonly Uint8Array[];
  readonly green: readonly Uint8Array[];
  readonly red: readonly Uint8Array[];
  readonly amber: readonly Uint8Array[];
  /** The profile's `fault` frames, else `amber`'s. */
  readonly fault: readonly Uint8Array[];
  readonly keepAlive: readonly Uint8Array[] | null;
}

function decode(field: string, frames: readonly string[]): Uint8Array[] {
  return frames.map((text, index) => {
    const parsed = parseHexFrame(text);
    if (!parsed.ok) throw new Error(`relay profile ${field}/${index}: ${parsed.message}`);
    return parsed.bytes;
  });
}

/**
 * Decodes a (validated: see `loadHardwareProfile`) relay profile's frames. Throws, naming the
 * field, only for a profile that never went through the loader and has a frame that is not hex.
 */
export function relayFrames(profile: RelayProfile): RelayFrames {
  const { commands, keepAlive } = profile.relay;
  const amber = decode('/relay/commands/amber', commands.amber);
  return {
    idle: decode('/relay/commands/idle', commands.idle),
    green: decode('/relay/commands/green', commands.green),
    red: decode('/relay/commands/red', commands.red),
    amber,
    fault: commands.fault === undefined ? amber : decode('/relay/commands/fault', commands.fault),
    keepAlive: keepAlive?.frames === undefined ? null : decode('/relay/keepAlive/frames', keepAlive.frames),
  };
}

/** The anti-passback window when a profile does not say (`passbackSec`, seconds). */
export const RELAY_DEFAULT_PASSBACK_SEC = 300;

/**
 * A relay profile's timings, defaults filled in. `keepAliveMs` null: no keep-alive;
 * `passbackSec` 0: no anti-passback.
 */
export function relayTiming(profile: RelayProfile): {
  openMs: number;
  holdMs: number;
  keepAliveMs: number | null;
  passbackSec: number;
} {
  return {
    openMs: profile.relay.openMs,
    holdMs: profile.relay.holdMs ?? RELAY_DEFAULT_HOLD_MS,
    keepAliveMs: profile.relay.keepAlive?.everyMs ?? null,
    passbackSec: profile.relay.passbackSec ?? RELAY_DEFAULT_PASSBACK_SEC,
  };
}

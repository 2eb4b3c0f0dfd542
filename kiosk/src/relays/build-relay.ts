// The `--relay` choice and the adapter it makes for a relay profile.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { RelayProfile } from '../profiles/hardware-profile.js';
import { HidRelay, loadNodeHidRelayBackend, type HidRelayBackend } from './hid-relay.js';
import type { Relay } from './relay.js';
import { SerialRelay } from './serial-relay.js';
import { SimulatedRelay } from './simulated-relay.js';

/** The `--relay` choice: `serial:PATH` (or `serial`: the profile's path), `hid` or `simulated`. */
export type RelayChoice = { kind: 'serial'; path: string | null } | { kind: 'hid' } | { kind: 'simulated' };

/** Reads a `--relay` value; null if it is none of the forms. */
export function parseRelayChoice(text: string): RelayChoice | null {
  if (text === 'hid' || text === 'simulated') return { kind: text };
  if (text === 'serial') return { kind: 'serial', path: null };
  if (text.startsWith('serial:') && text.length > 'serial:'.length)
    return { kind: 'serial', path: text.slice(7) };
  return null;
}

/** What `buildRelay` needs besides the choice (tests inject a HID backend). */
export interface BuildRelayOptions {
  readonly hidBackend?: HidRelayBackend;
}

/**
 * Builds the relay adapter for a profile, or says plainly why it cannot (the transport does not
 * match the profile, no path, node-hid cannot load). Not started: the caller starts it.
 */
export async function buildRelay(
  choice: RelayChoice,
  profile: RelayProfile,
  logger: Logger,
  options: BuildRelayOptions = {},
): Promise<{ ok: true; relay: Relay } | { ok: false; message: string }> {
  const relay = profile.relay;
  switch (choice.kind) {
    case 'simulated':
      return { ok: true, relay: new SimulatedRelay({ logger }) };
    case 'serial': {
      if (relay.transport !== 'serial' || relay.serial === undefined) {
        return {
          ok: false,
          message: `relay profile ${profile.id} is for a ${relay.transport} board, not a serial one (--relay ${relay.transport})`,
        };
      }
      const { path: profilePath, ...settings } = relay.serial;
      const path = choice.path ?? profilePath ?? null;
      if (path === null) {
        return { ok: false, message: 'a serial relay needs a path: --relay serial:/dev/ttyUSB0' };
      }
      if (!existsSync(path)) {
        // Not fatal: the lane comes up with the board unplugged (gate shut) and takes it when it appears.
        logger.warn({ device: `serial:${path}` }, 'relay serial port does not exist (yet); waiting for it');
      }
      return {
        ok: true,
        relay: new SerialRelay({ path, settings, logger, reply: relay.reply ?? 'none' }),
      };
    }
    case 'hid': {
      if (relay.transport !== 'hid' || relay.hid === undefined) {
        return {
          ok: false,
          message: `relay profile ${profile.id} is for a ${relay.transport} board, not a HID one (--relay ${relay.transport}:PATH)`,
        };
      }
      let backend = options.hidBackend;
      if (backend === undefined) {
        try {
          backend = await loadNodeHidRelayBackend();
        } catch (error) {
          return {
            ok: false,
            message: `cannot load node-hid (is libusb-1.0-0 installed?): ${error instanceof Error ? error.message : String(error)}`,
          };
        }
      }
      return { ok: true, relay: new HidRelay({ ...relay.hid, backend, logger }) };
    }
  }
}

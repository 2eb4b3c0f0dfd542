// The shipped relay profiles, played on a model of each board's protocol (LCUS: A0 ch state sum;
// Modbus RTU function 05: coil FF00/0000; USB HID 16c0:05df: feature report 0, FF/FD ch, FE/FC
// all): only green turns the barrier channel on, last; every other command drops it first.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfile } from '../profiles/hardware-profile.js';
import { relayFrames, relayTiming, type RelayProfile } from './relay-profile.js';

const dir = new URL('../../../hardware-profiles/', import.meta.url);

function load(file: string): RelayProfile {
  const loaded = loadHardwareProfile(new URL(file, dir).pathname);
  if (!loaded.ok) throw new Error(`${file}: ${loaded.field} ${loaded.message}`);
  if (loaded.profile.kind !== 'relay') throw new Error(`${file} is not a relay profile`);
  return loaded.profile;
}

/** Channel number → on, as the board would hold them after each frame. */
type Board = Map<number, boolean>;

/** Applies one frame to the board model; throws on a frame the protocol does not know. */
function apply(profile: RelayProfile, board: Board, frame: Uint8Array): void {
  const b = [...frame];
  if (profile.relay.frameCheck === 'lcus') {
    expect(b).toHaveLength(4);
    expect([0, 1]).toContain(b[2]);
    board.set(b[1] ?? -1, b[2] === 1);
  } else if (profile.relay.frameCheck === 'modbus-rtu') {
    expect(b.slice(0, 2)).toEqual([1, 5]);
    expect([0xff00, 0x0000]).toContain(((b[4] ?? 0) << 8) | (b[5] ?? 0));
    board.set(((b[2] ?? 0) << 8) | (b[3] ?? 0), b[4] === 0xff);
  } else {
    expect(b).toHaveLength(9);
    expect(b[0]).toBe(0);
    if (b[1] === 0xff || b[1] === 0xfd) board.set(b[2] ?? -1, b[1] === 0xff);
    else if (b[1] === 0xfe || b[1] === 0xfc) for (const ch of [1, 2]) board.set(ch, b[1] === 0xfe);
    else throw new Error(`unknown HID relay command ${b[1]}`);
  }
}

const barrierChannel = (profile: RelayProfile): number => (profile.relay.frameCheck === 'modbus-rtu' ? 0 : 1);
const onChannels = (board: Board): number[] =>
  [...board]
    .filter(([, on]) => on)
    .map(([ch]) => ch)
    .sort();

const RELAY_FILES = [
  'lcus-1-relay.json',
  'lcus-4-tower-light.json',
  'modbus-rtu-4ch-relay.json',
  'usb-hid-relay-2ch.json',
];

describe('shipped relay profiles', () => {
  it('are all there', () => {
    const shipped = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(shipped).toEqual(expect.arrayContaining(RELAY_FILES));
  });

  describe.each(RELAY_FILES)('%s', (file) => {
    const profile = load(file);
    const frames = relayFrames(profile);
    const barrier = barrierChannel(profile);

    it('idle leaves every channel off', () => {
      const board: Board = new Map([[barrier, true]]);
      for (const f of frames.green) apply(profile, board, f);
      for (const f of frames.idle) apply(profile, board, f);
      expect(onChannels(board)).toEqual([]);
    });

    it('green turns the barrier on, with its last frame only', () => {
      const board: Board = new Map();
      for (const f of frames.idle) apply(profile, board, f);
      frames.green.forEach((f, i) => {
        apply(profile, board, f);
        expect(board.get(barrier) === true, `after green frame ${i}`).toBe(i === frames.green.length - 1);
      });
    });

    it.each(['idle', 'red', 'amber', 'fault'] as const)(
      '%s drops the barrier with its first frame and never raises it',
      (name) => {
        const board: Board = new Map();
        for (const f of frames.green) apply(profile, board, f);
        expect(board.get(barrier)).toBe(true);
        for (const f of frames[name]) {
          apply(profile, board, f);
          expect(board.get(barrier), `${name} keeps the gate shut`).toBe(false);
        }
      },
    );

    it('red and amber light the same lamps (the public sees "see staff" for both)', () => {
      const afterRed: Board = new Map();
      const afterAmber: Board = new Map();
      for (const f of frames.red) apply(profile, afterRed, f);
      for (const f of frames.amber) apply(profile, afterAmber, f);
      expect(onChannels(afterRed)).toEqual(onChannels(afterAmber));
    });

    it('declares its barrier frames (relay.barrier), and they switch the barrier channel', () => {
      const declared = profile.relay.barrier;
      expect(declared).toBeDefined();
      if (declared === undefined) return;
      const board: Board = new Map();
      apply(profile, board, Buffer.from(declared.open.replace(/\s+/g, ''), 'hex'));
      expect(onChannels(board)).toEqual([barrier]);
      apply(profile, board, Buffer.from(declared.shut.replace(/\s+/g, ''), 'hex'));
      expect(onChannels(board)).toEqual([]);
    });

    it('has sane timings', () => {
      const timing = relayTiming(profile);
      expect(timing.openMs).toBeGreaterThanOrEqual(500);
      expect(timing.holdMs).toBeGreaterThanOrEqual(500);
    });
  });

  it('tower lights: green lamp on green, amber lamp on red/amber, red lamp on fault', () => {
    for (const file of ['lcus-4-tower-light.json', 'modbus-rtu-4ch-relay.json']) {
      const profile = load(file);
      const frames = relayFrames(profile);
      const base = barrierChannel(profile);
      const after = (name: 'green' | 'red' | 'amber' | 'fault'): number[] => {
        const board: Board = new Map();
        for (const f of frames[name]) apply(profile, board, f);
        return onChannels(board);
      };
      expect(after('green'), file).toEqual([base, base + 1]);
      expect(after('red'), file).toEqual([base + 2]);
      expect(after('amber'), file).toEqual([base + 2]);
      expect(after('fault'), file).toEqual([base + 3]);
    }
  });

  it('the Modbus module is kept alive (re-sending its state) and its answers are checked', () => {
    const profile = load('modbus-rtu-4ch-relay.json');
    expect(relayTiming(profile).keepAliveMs).toBe(1000);
    expect(relayFrames(profile).keepAlive).toBeNull();
    expect(profile.relay.reply).toBe('echo');
  });
});

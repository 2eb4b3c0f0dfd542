import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RelayProfile } from '../profiles/hardware-profile.js';
import { buildRelay, parseRelayChoice } from './build-relay.js';
import { HidRelay } from './hid-relay.js';
import { relayFrames, relayTiming } from './relay-profile.js';
import { SerialRelay } from './serial-relay.js';
import { SimulatedRelay } from './simulated-relay.js';

const logger = pino({ level: 'silent' });

const serialProfile: RelayProfile = {
  id: 'lcus-test',
  name: 'test',
  kind: 'relay',
  relay: {
    transport: 'serial',
    serial: { path: '/dev/ttyUSB9', baudRate: 9600 },
    frameCheck: 'lcus',
    commands: { idle: ['A0 01 00 A1'], green: ['A0 01 01 A2'], red: ['A0 01 00 A1'], amber: ['A0 02 01 A3'] },
    openMs: 4000,
  },
};
const hidProfile: RelayProfile = {
  id: 'hid-test',
  name: 'test',
  kind: 'relay',
  relay: {
    transport: 'hid',
    hid: { vendorId: 0x16c0, productId: 0x05df, report: 'feature' },
    frameCheck: 'none',
    commands: { idle: ['00 FC'], green: ['00 FF 01'], red: ['00 FC'], amber: ['00 FC'], fault: ['00 FE'] },
    openMs: 4000,
    holdMs: 2000,
    keepAlive: { everyMs: 500, frames: ['00 FD 08'] },
  },
};

describe('parseRelayChoice', () => {
  it.each([
    ['serial:/dev/ttyUSB0', { kind: 'serial', path: '/dev/ttyUSB0' }],
    ['serial', { kind: 'serial', path: null }],
    ['hid', { kind: 'hid' }],
    ['simulated', { kind: 'simulated' }],
    ['serial:', null],
    ['usb', null],
    ['', null],
  ])('%j', (text, choice) => {
    expect(parseRelayChoice(text)).toEqual(choice);
  });
});

describe('buildRelay', () => {
  it('builds a serial relay on the given path, else the profile path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-'));
    try {
      const given = await buildRelay({ kind: 'serial', path: join(dir, 'tty') }, serialProfile, logger);
      expect(given.ok && given.relay).toBeInstanceOf(SerialRelay);
      expect(given.ok && given.relay.device).toBe(`serial:${join(dir, 'tty')}`);
      const fromProfile = await buildRelay({ kind: 'serial', path: null }, serialProfile, logger);
      expect(fromProfile.ok && fromProfile.relay.device).toBe('serial:/dev/ttyUSB9');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says plainly why it cannot build', async () => {
    const noPath = { ...serialProfile, relay: { ...serialProfile.relay, serial: { baudRate: 9600 } } };
    expect(await buildRelay({ kind: 'serial', path: null }, noPath, logger)).toEqual({
      ok: false,
      message: 'a serial relay needs a path: --relay serial:/dev/ttyUSB0',
    });
    expect(await buildRelay({ kind: 'serial', path: '/dev/x' }, hidProfile, logger)).toMatchObject({
      ok: false,
      message: /hid-test is for a hid board, not a serial one/,
    });
    expect(await buildRelay({ kind: 'hid' }, serialProfile, logger)).toMatchObject({
      ok: false,
      message: /lcus-test is for a serial board, not a HID one/,
    });
  });

  it('builds a HID relay (injected backend: no HID device here) and a simulated one', async () => {
    const backend = { list: () => Promise.resolve([]), open: () => Promise.reject(new Error('none')) };
    const hid = await buildRelay({ kind: 'hid' }, hidProfile, logger, { hidBackend: backend });
    expect(hid.ok && hid.relay).toBeInstanceOf(HidRelay);
    expect(hid.ok && hid.relay.device).toBe('hid:16c0:05df');
    const simulated = await buildRelay({ kind: 'simulated' }, serialProfile, logger);
    expect(simulated.ok && simulated.relay).toBeInstanceOf(SimulatedRelay);
  });
});

describe('relayFrames and relayTiming', () => {
  const hex = (frames: readonly Uint8Array[] | null): string[] | null =>
    frames?.map((f) => Buffer.from(f).toString('hex')) ?? null;

  it('decodes every state; fault defaults to amber; no keep-alive frames → null', () => {
    const frames = relayFrames(serialProfile);
    expect(hex(frames.idle)).toEqual(['a00100a1']);
    expect(hex(frames.green)).toEqual(['a00101a2']);
    expect(hex(frames.red)).toEqual(['a00100a1']);
    expect(hex(frames.fault)).toEqual(['a00201a3']);
    expect(frames.keepAlive).toBeNull();
    expect(relayTiming(serialProfile)).toEqual({
      openMs: 4000,
      holdMs: 5000,
      keepAliveMs: null,
      passbackSec: 300,
    });
  });

  it('takes the profile fault, hold and keep-alive when given', () => {
    const frames = relayFrames(hidProfile);
    expect(hex(frames.fault)).toEqual(['00fe']);
    expect(hex(frames.keepAlive)).toEqual(['00fd08']);
    expect(relayTiming(hidProfile)).toEqual({
      openMs: 4000,
      holdMs: 2000,
      keepAliveMs: 500,
      passbackSec: 300,
    });
    expect(relayTiming({ ...hidProfile, relay: { ...hidProfile.relay, passbackSec: 0 } }).passbackSec).toBe(
      0,
    );
  });

  it('names the field of a frame that never went through the loader', () => {
    const bad = {
      ...serialProfile,
      relay: { ...serialProfile.relay, commands: { ...serialProfile.relay.commands, red: ['zz'] } },
    };
    expect(() => relayFrames(bad)).toThrow('relay profile /relay/commands/red/0: not hex bytes: "zz"');
  });
});

// No virtual HID device can be made on these machines (no uhid access, no USB gadget), so the
// adapter runs against an injected fake backend that records the reports it is sent; the frames
// are the ones the 16c0:05df boards take (feature report 0: FF n on, FD n off), from the shipped
// profile.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfile } from '../profiles/hardware-profile.js';
import { buildRelay } from './build-relay.js';
import {
  HidRelay,
  loadNodeHidRelayBackend,
  type HidRelayBackend,
  type HidRelayDevice,
  type HidRelayInfo,
} from './hid-relay.js';
import { describeRelayContract, pollUntil, StateRecorder } from './relay-contract.testkit.js';
import { relayFrames, type RelayProfile } from './relay-profile.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const board: HidRelayInfo = { vendorId: 0x16c0, productId: 0x05df, path: '/dev/hidraw3' };

class FakeRelayDevice implements HidRelayDevice {
  readonly feature: Buffer[] = [];
  readonly output: Buffer[] = [];
  closed = false;
  constructor(readonly bus: FakeHidBus) {}
  sendFeatureReport(data: Buffer): Promise<number> {
    if (this.closed || !this.bus.present.includes(board))
      return Promise.reject(new Error('could not send feature report to device'));
    this.feature.push(Buffer.from(data));
    return Promise.resolve(data.length);
  }
  write(data: Buffer): Promise<number> {
    if (this.closed || !this.bus.present.includes(board))
      return Promise.reject(new Error('Cannot write to hid device'));
    this.output.push(Buffer.from(data));
    return Promise.resolve(data.length);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A fake USB bus: boards can be plugged and unplugged; opening an absent one fails like node-hid. */
class FakeHidBus implements HidRelayBackend {
  present: HidRelayInfo[] = [{ vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw0' }, board];
  opened: FakeRelayDevice[] = [];
  list(): Promise<HidRelayInfo[]> {
    return Promise.resolve([...this.present]);
  }
  open(path: string): Promise<HidRelayDevice> {
    if (!this.present.some((d) => d.path === path))
      return Promise.reject(new Error(`cannot open device with path ${path}`));
    const device = new FakeRelayDevice(this);
    this.opened.push(device);
    return Promise.resolve(device);
  }
  /** Feature reports the board got since it was last opened, concatenated. */
  lastOpenedFeature(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.opened.at(-1)?.feature ?? []));
  }
}

describeRelayContract(
  'USB HID (16c0:05df) through an injected fake backend',
  () => {
    const bus = new FakeHidBus();
    const relay = new HidRelay({
      vendorId: 0x16c0,
      productId: 0x05df,
      report: 'feature',
      backend: bus,
      logger,
      retry: { baseMs: 10, capMs: 40 },
      watchdogMs: 50,
    });
    return Promise.resolve({
      relay,
      received: () => bus.lastOpenedFeature(),
      unplug: () => {
        bus.present = bus.present.filter((d) => d !== board);
        return Promise.resolve();
      },
      replug: () => {
        bus.present = [...bus.present, board];
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    });
  },
  { canUnplug: true },
);

function shippedHidProfile(): RelayProfile {
  const loaded = loadHardwareProfile(
    new URL('../../../hardware-profiles/usb-hid-relay-2ch.json', import.meta.url).pathname,
  );
  if (!loaded.ok || loaded.profile.kind !== 'relay') throw new Error('usb-hid-relay-2ch.json does not load');
  return loaded.profile;
}

const hex = (b: Buffer): string =>
  b
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');

describe('HidRelay', () => {
  it('sends the shipped profile frames as 9-byte feature reports, one per frame, in order', async () => {
    const bus = new FakeHidBus();
    const built = await buildRelay({ kind: 'hid' }, shippedHidProfile(), logger, { hidBackend: bus });
    if (!built.ok) throw new Error(built.message);
    const relay = built.relay;
    expect(relay.device).toBe('hid:16c0:05df');
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.untilStatus('connected');
      const frames = relayFrames(shippedHidProfile());
      await expect(relay.write(frames.idle)).resolves.toBe(true);
      await expect(relay.write(frames.green)).resolves.toBe(true);
      const device = bus.opened[0];
      expect(device?.output).toEqual([]);
      expect(device?.feature.map(hex)).toEqual([
        '00 FD 01 00 00 00 00 00 00',
        '00 FD 02 00 00 00 00 00 00',
        '00 FD 02 00 00 00 00 00 00',
        '00 FF 01 00 00 00 00 00 00',
      ]);
    } finally {
      await relay.stop();
    }
    expect(bus.opened[0]?.closed).toBe(true);
  });

  it('sends output reports when the profile says so', async () => {
    const bus = new FakeHidBus();
    const relay = new HidRelay({
      vendorId: 0x16c0,
      productId: 0x05df,
      report: 'output',
      backend: bus,
      logger,
    });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.untilStatus('connected');
      await expect(relay.write([Uint8Array.of(0, 0xf1)])).resolves.toBe(true);
      expect(bus.opened[0]?.output.map(hex)).toEqual(['00 F1']);
      expect(bus.opened[0]?.feature).toEqual([]);
    } finally {
      await relay.stop();
    }
  });

  it('keeps looking for a board that is not on the bus, and takes it when it appears', async () => {
    const bus = new FakeHidBus();
    bus.present = [];
    const relay = new HidRelay({
      vendorId: 0x16c0,
      productId: 0x05df,
      report: 'feature',
      backend: bus,
      logger,
      retry: { baseMs: 10, capMs: 20 },
    });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.until(
        () => recorder.states.filter((s) => s.status === 'connecting').length >= 3,
        'three looks',
      );
      expect(relay.state().status).not.toBe('connected');
      expect(recorder.states.find((s) => s.status === 'disconnected')?.detail).toBe(
        'no matching HID relay board',
      );
      await expect(relay.write([Uint8Array.of(0, 0xfc)])).resolves.toBe(false);
      bus.present = [board];
      await recorder.untilStatus('connected');
      await expect(relay.write([Uint8Array.of(0, 0xfc)])).resolves.toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('a failed write (board pulled between looks) resolves false and starts looking again', async () => {
    const bus = new FakeHidBus();
    const relay = new HidRelay({
      vendorId: 0x16c0,
      productId: 0x05df,
      report: 'feature',
      backend: bus,
      logger,
      retry: { baseMs: 10, capMs: 20 },
      watchdogMs: 0,
    });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.untilStatus('connected');
      const mark = recorder.states.length;
      bus.present = [];
      await expect(relay.write([Uint8Array.of(0, 0xfd, 1)])).resolves.toBe(false);
      await recorder.untilStatus('disconnected', mark);
      expect(recorder.states.at(-1)?.detail ?? relay.state().detail).toMatch(/write failed|no matching/);
      bus.present = [board];
      await recorder.untilStatus('connected', mark);
      await pollUntil(() => relay.state().status === 'connected', 'connected');
      await expect(relay.write([Uint8Array.of(0, 0xfd, 1)])).resolves.toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('a report that never completes counts as a lost board: false in bounded time, then looks again', async () => {
    const bus = new FakeHidBus();
    const relay = new HidRelay({
      vendorId: 0x16c0,
      productId: 0x05df,
      report: 'feature',
      backend: bus,
      logger,
      retry: { baseMs: 10, capMs: 20 },
      watchdogMs: 0,
      writeTimeoutMs: 100,
    });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.untilStatus('connected');
      const device = bus.opened[0];
      if (!device) throw new Error('not opened');
      device.sendFeatureReport = () => new Promise<number>(() => undefined);
      const mark = recorder.states.length;
      await expect(relay.write([Uint8Array.of(0, 0xfd, 1)])).resolves.toBe(false);
      await recorder.untilStatus('disconnected', mark);
      expect(recorder.states.find((s, i) => i >= mark && s.status === 'disconnected')?.detail).toBe(
        'write failed: report timed out',
      );
      expect(device.closed).toBe(true);
      await recorder.untilStatus('connected', mark);
      await expect(relay.write([Uint8Array.of(0, 0xfd, 1)])).resolves.toBe(true);
      expect(bus.opened[1]?.feature.map(hex)).toEqual(['00 FD 01']);
    } finally {
      await relay.stop();
    }
  });

  it('with the real node-hid and no board on this machine: disconnected, writes refused, never a rejection', async () => {
    const backend = await loadNodeHidRelayBackend();
    // This machine has no 16c0:05df board (and no way to make one); if one is plugged in, skip the claim.
    const present = (await backend.list()).some((d) => d.vendorId === 0x16c0 && d.productId === 0x05df);
    const relay = new HidRelay({ vendorId: 0x16c0, productId: 0x05df, report: 'feature', backend, logger });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      if (present) return;
      await recorder.untilStatus('disconnected');
      expect(relay.state()).toMatchObject({ status: 'disconnected', detail: 'no matching HID relay board' });
      await expect(relay.write([Uint8Array.of(0, 0xfc, 0, 0, 0, 0, 0, 0, 0)])).resolves.toBe(false);
      await expect(backend.open('/dev/hidraw-none')).rejects.toThrow(/cannot open/);
    } finally {
      await relay.stop();
    }
  });
});

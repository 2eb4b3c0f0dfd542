// No virtual HID device can be created on these machines (no uhid access, no USB gadget), so
// the adapter runs against an injected fake backend that replays report buffers; the decoder
// itself is tested with recorded reports in hid-pos-decoder.test.ts.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeHidReports, type HidReportLayout } from './hid-pos-decoder.js';
import { HidScanner, type HidBackend, type HidDeviceInfo, type HidDeviceLike } from './hid-scanner.js';
import { describeScannerContract, RecordingSink } from './scanner-contract.testkit.js';

const layout: HidReportLayout = {
  reportId: 2,
  lengthOffset: 1,
  dataOffset: 2,
  dataCapacity: 56,
  aimOffset: 58,
  continuedOffset: 63,
  continuedMask: 1,
};
const match = { vendorId: 0x0c2e, usagePage: 0x8c, usage: 2 };
const scannerInfo: HidDeviceInfo = {
  vendorId: 0x0c2e,
  productId: 0x0b61,
  path: '/dev/hidraw7',
  usagePage: 0x8c,
  usage: 2,
};

class FakeHidDevice extends EventEmitter implements HidDeviceLike {
  closed = false;
  close(): void {
    this.closed = true;
  }
}

/** A fake USB bus: devices can be plugged and unplugged; opening an absent one fails like node-hid. */
class FakeHidBus implements HidBackend {
  present: HidDeviceInfo[] = [];
  opened: FakeHidDevice | null = null;
  list(): Promise<HidDeviceInfo[]> {
    return Promise.resolve([...this.present]);
  }
  open(path: string): HidDeviceLike {
    if (!this.present.some((d) => d.path === path)) throw new Error(`cannot open device with path ${path}`);
    this.opened = new FakeHidDevice();
    return this.opened;
  }
}

const logger = pino({ level: 'silent' });

describeScannerContract(
  'HID POS through an injected fake device',
  () => {
    const bus = new FakeHidBus();
    bus.present = [
      { vendorId: 0x0c2e, productId: 1, path: '/dev/hidraw1', usagePage: 1, usage: 6 },
      scannerInfo,
    ];
    const scanner = new HidScanner({ match, layout, backend: bus, logger, retry: { baseMs: 10, capMs: 40 } });
    return Promise.resolve({
      scanner,
      emit: (code) => {
        for (const report of encodeHidReports(code, layout)) bus.opened?.emit('data', Buffer.from(report));
        return Promise.resolve();
      },
      unplug: () => {
        bus.present = [];
        bus.opened?.emit('error', new Error('could not read from HID device'));
        return Promise.resolve();
      },
      replug: () => {
        bus.present = [scannerInfo];
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    });
  },
  { canUnplug: true },
);

describe('HidScanner', () => {
  it('waits for a matching device (vendor and usage page 0x8C), ignoring keyboards', async () => {
    const bus = new FakeHidBus();
    bus.present = [{ vendorId: 0x0c2e, productId: 1, path: '/dev/hidraw1', usagePage: 1, usage: 6 }];
    const scanner = new HidScanner({ match, layout, backend: bus, logger, retry: { baseMs: 10, capMs: 20 } });
    const sink = new RecordingSink();
    scanner.start(sink);
    await sink.until(
      () => sink.states.filter((s) => s.detail === 'no matching HID POS device').length >= 1,
      'a miss',
    );
    expect(bus.opened).toBeNull();
    bus.present.push(scannerInfo);
    await sink.untilStatus('connected');
    await scanner.stop();
    expect(bus.opened?.closed).toBe(true);
  });

  it('drops a continued code whose next report never comes', async () => {
    const bus = new FakeHidBus();
    bus.present = [scannerInfo];
    const scanner = new HidScanner({ match, layout, backend: bus, logger, continuationTimeoutMs: 20 });
    const sink = new RecordingSink();
    scanner.start(sink);
    await sink.untilStatus('connected');
    const [first] = encodeHidReports('x'.repeat(100), layout);
    bus.opened?.emit('data', Buffer.from(first ?? []));
    await new Promise((resolve) => setTimeout(resolve, 60)); // let the continuation deadline pass
    for (const r of encodeHidReports('001090123456', layout)) bus.opened?.emit('data', Buffer.from(r));
    await sink.untilScans(1);
    expect(sink.scans.map((s) => s.text)).toEqual(['001090123456']);
    await scanner.stop();
  });
});

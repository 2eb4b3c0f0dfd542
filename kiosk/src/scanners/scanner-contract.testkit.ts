// The one contract every scanner adapter keeps, run against each adapter's own harness
// (serial through a real socat pty pair, HID through recorded reports and an injected fake
// device, stdin through a stream, the simulated scanner as it is).
import { describe, expect, it } from 'vitest';
import type { DeviceState, ScanInput, Scanner, ScannerSink } from './scanner.js';

/** A sink that records everything and lets a test await what it expects (no sleeps). */
export class RecordingSink implements ScannerSink {
  readonly scans: ScanInput[] = [];
  readonly states: DeviceState[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  scan(input: ScanInput): void {
    this.scans.push(input);
    this.#wake();
  }

  status(state: DeviceState): void {
    this.states.push(state);
    this.#wake();
  }

  /** Resolves once `check` holds; rejects after `timeoutMs` with what was seen. */
  async until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`timed out waiting for ${what}; states: ${this.states.map((s) => s.status).join(',')}`),
        );
      }, timeoutMs);
      this.#waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  untilStatus(status: DeviceState['status'], after = 0): Promise<void> {
    return this.until(() => this.states.slice(after).some((s) => s.status === status), `status ${status}`);
  }

  untilScans(count: number): Promise<void> {
    return this.until(() => this.scans.length >= count, `${count} scans`);
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

/** What the contract needs from an adapter's test harness. */
export interface ScannerHarness {
  readonly scanner: Scanner;
  /** Makes the device produce one code (as the device would frame it). */
  emit(code: string): Promise<void>;
  /** Unplugs and plugs back the device, where the adapter has a device to lose. */
  unplug?(): Promise<void>;
  replug?(): Promise<void>;
  dispose(): Promise<void>;
}

const CODES = [
  '001090123456',
  '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1|20072021',
  '59-X1 123.45',
];

/** Runs the scanner contract against a harness factory; the unplug part where a device can be lost. */
export function describeScannerContract(
  name: string,
  makeHarness: () => Promise<ScannerHarness>,
  { canUnplug }: { canUnplug: boolean },
): void {
  describe(`scanner contract: ${name}`, () => {
    it(
      'connects, delivers each code once, in order and intact, and stops cleanly',
      { timeout: 30_000 },
      async () => {
        const harness = await makeHarness();
        const sink = new RecordingSink();
        try {
          harness.scanner.start(sink);
          await sink.untilStatus('connected');
          expect(harness.scanner.state().status).toBe('connected');
          for (const code of CODES) await harness.emit(code);
          await sink.untilScans(CODES.length);
          expect(sink.scans.map((s) => s.text)).toEqual(CODES);
          expect(
            sink.scans.every((s) => s.source === harness.scanner.kind && s.device === harness.scanner.device),
          ).toBe(true);
          await harness.scanner.stop();
          expect(harness.scanner.state().status).toBe('disconnected');
        } finally {
          await harness.scanner.stop();
          await harness.dispose();
        }
      },
    );

    if (!canUnplug) return;
    it('reports an unplugged device and goes on after it is plugged back', { timeout: 30_000 }, async () => {
      const harness = await makeHarness();
      if (!harness.unplug || !harness.replug) throw new Error('this harness cannot unplug its device');
      const sink = new RecordingSink();
      try {
        harness.scanner.start(sink);
        await sink.untilStatus('connected');
        await harness.emit(CODES[0] ?? '');
        await sink.untilScans(1);
        const mark = sink.states.length;
        await harness.unplug();
        await sink.untilStatus('disconnected', mark);
        const back = sink.states.length;
        await harness.replug();
        await sink.untilStatus('connected', back);
        await harness.emit(CODES[2] ?? '');
        await sink.untilScans(2);
        expect(sink.scans.map((s) => s.text)).toEqual([CODES[0], CODES[2]]);
      } finally {
        await harness.scanner.stop();
        await harness.dispose();
      }
    });
  });
}

// The one contract every relay adapter keeps, run against each adapter's own harness (serial
// through a real socat pty pair, HID through an injected fake backend that records its reports,
// the simulated relay as it is).
import { expect, describe, it } from 'vitest';
import type { Relay, RelayState } from './relay.js';

/** Records a relay's states and lets a test await what it expects (no sleeps). */
export class StateRecorder {
  readonly states: RelayState[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  readonly onStatus = (state: RelayState): void => {
    this.states.push(state);
    this.#wake();
  };

  /** Resolves once `check` holds; rejects after `timeoutMs` with what was seen. */
  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.check !== check);
        reject(
          new Error(
            `timed out waiting for ${what}; states: ${this.states.map((s) => `${s.status}(${s.detail ?? ''})`).join(',')}`,
          ),
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

  untilStatus(status: RelayState['status'], after = 0): Promise<void> {
    return this.until(() => this.states.slice(after).some((s) => s.status === status), `status ${status}`);
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

/** Waits for `check` by polling (for byte streams that have no event of their own). */
export async function pollUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What the contract needs from an adapter's test harness. */
export interface RelayHarness {
  readonly relay: Relay;
  /** Every byte the board has received since it was (last) plugged in, in order (frames concatenated). */
  received(): Uint8Array;
  /** Unplugs and plugs back the board, where the adapter has a board to lose. */
  unplug?(): Promise<void>;
  replug?(): Promise<void>;
  dispose(): Promise<void>;
}

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
const concat = (frames: readonly Uint8Array[]): Uint8Array => Uint8Array.from(frames.flatMap((f) => [...f]));

/** Frames of the kinds a relay sends: LCUS, Modbus RTU with CRC, a 9-byte HID feature report. */
export const CONTRACT_FRAMES: readonly (readonly Uint8Array[])[] = [
  [Uint8Array.of(0xa0, 0x01, 0x00, 0xa1)],
  [Uint8Array.of(0xa0, 0x01, 0x01, 0xa2), Uint8Array.of(0xa0, 0x02, 0x01, 0xa3)],
  [Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0xff, 0x00, 0x8c, 0x3a)],
  [Uint8Array.of(0x00, 0xfd, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)],
  // Bytes a text protocol would choke on: NUL, CR, LF, XON/XOFF, 0xFF.
  [Uint8Array.of(0x00, 0x0d, 0x0a, 0x11, 0x13, 0xff, 0x7f, 0x80)],
];

/** Runs the relay contract against a harness factory; the unplug part where a board can be lost. */
export function describeRelayContract(
  name: string,
  makeHarness: () => Promise<RelayHarness>,
  { canUnplug }: { canUnplug: boolean },
): void {
  describe(`relay contract: ${name}`, () => {
    it('refuses writes (false, never a rejection) before it is started', { timeout: 30_000 }, async () => {
      const harness = await makeHarness();
      try {
        expect(harness.relay.state()).toMatchObject({ kind: 'relay', device: harness.relay.device });
        await expect(harness.relay.write(CONTRACT_FRAMES[0] ?? [])).resolves.toBe(false);
        expect(harness.received()).toHaveLength(0);
      } finally {
        await harness.relay.stop();
        await harness.dispose();
      }
    });

    it(
      'connects, delivers frames byte-exact and in order (also when written without waiting), and stops cleanly',
      { timeout: 30_000 },
      async () => {
        const harness = await makeHarness();
        const recorder = new StateRecorder();
        try {
          harness.relay.start(recorder.onStatus);
          await recorder.untilStatus('connected');
          expect(harness.relay.state()).toMatchObject({ kind: 'relay', status: 'connected' });
          // All at once: the adapter queues them and sends them in the order asked.
          const results = await Promise.all(CONTRACT_FRAMES.map((frames) => harness.relay.write(frames)));
          expect(results).toEqual(CONTRACT_FRAMES.map(() => true));
          const expected = concat(CONTRACT_FRAMES.flat());
          await pollUntil(() => harness.received().length >= expected.length, `${expected.length} bytes`);
          expect(hex(harness.received())).toBe(hex(expected));
          await harness.relay.stop();
          expect(harness.relay.state()).toMatchObject({ kind: 'relay', status: 'disconnected' });
          await expect(harness.relay.write(CONTRACT_FRAMES[0] ?? [])).resolves.toBe(false);
          expect(hex(harness.received())).toBe(hex(expected));
        } finally {
          await harness.relay.stop();
          await harness.dispose();
        }
      },
    );

    it('stop waits for a write in flight, which completes', { timeout: 30_000 }, async () => {
      const harness = await makeHarness();
      const recorder = new StateRecorder();
      try {
        harness.relay.start(recorder.onStatus);
        await recorder.untilStatus('connected');
        const idle = CONTRACT_FRAMES[0] ?? [];
        const writing = harness.relay.write(idle);
        await harness.relay.stop();
        await expect(writing).resolves.toBe(true);
        await pollUntil(() => harness.received().length >= 4, 'the idle frame');
        expect(hex(harness.received())).toBe(hex(concat(idle)));
      } finally {
        await harness.relay.stop();
        await harness.dispose();
      }
    });

    if (!canUnplug) return;
    it(
      'reports an unplugged board, refuses writes while it is gone, and goes on after it is plugged back',
      { timeout: 30_000 },
      async () => {
        const harness = await makeHarness();
        if (!harness.unplug || !harness.replug) throw new Error('this harness cannot unplug its board');
        const recorder = new StateRecorder();
        try {
          harness.relay.start(recorder.onStatus);
          await recorder.untilStatus('connected');
          const first = CONTRACT_FRAMES[1] ?? [];
          await expect(harness.relay.write(first)).resolves.toBe(true);
          await pollUntil(() => harness.received().length >= concat(first).length, 'the first frames');
          const mark = recorder.states.length;
          await harness.unplug();
          await recorder.untilStatus('disconnected', mark);
          expect(harness.relay.state().status).not.toBe('connected');
          await expect(harness.relay.write(CONTRACT_FRAMES[0] ?? [])).resolves.toBe(false);
          const back = recorder.states.length;
          await harness.replug();
          await recorder.untilStatus('connected', back);
          const after = CONTRACT_FRAMES[2] ?? [];
          await expect(harness.relay.write(after)).resolves.toBe(true);
          await pollUntil(() => harness.received().length >= concat(after).length, 'frames after replug');
          expect(hex(harness.received())).toBe(hex(concat(after)));
        } finally {
          await harness.relay.stop();
          await harness.dispose();
        }
      },
    );
  });
}

import { describe, expect, it } from 'vitest';
import { describeRelayContract, StateRecorder } from './relay-contract.testkit.js';
import { SimulatedRelay } from './simulated-relay.js';

const concat = (relay: SimulatedRelay): Uint8Array =>
  Uint8Array.from(relay.frames.flatMap((f) => [...f.bytes]));

describeRelayContract(
  'simulated',
  () => {
    const relay = new SimulatedRelay();
    let since = 0;
    return Promise.resolve({
      relay,
      received: () => concat(relay).subarray(since),
      unplug: () => {
        relay.disconnect();
        return Promise.resolve();
      },
      replug: () => {
        since = concat(relay).length;
        relay.reconnect();
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    });
  },
  { canUnplug: true },
);

describe('SimulatedRelay', () => {
  it('records each frame with the time it was written, as a copy', async () => {
    let now = 1000;
    const seen: string[] = [];
    const relay = new SimulatedRelay({
      clock: () => now,
      onFrame: (f) => seen.push(Array.from(f.bytes).join(',')),
    });
    relay.start(() => undefined);
    const frame = Uint8Array.of(0xa0, 1, 1, 0xa2);
    await relay.write([frame]);
    frame[3] = 0;
    now = 6000;
    await relay.write([Uint8Array.of(0xa0, 1, 0, 0xa1)]);
    expect(relay.frames.map((f) => f.at)).toEqual([1000, 6000]);
    expect(relay.hexFrames()).toEqual(['A0 01 01 A2', 'A0 01 00 A1']);
    expect(seen).toEqual(['160,1,1,162', '160,1,0,161']);
  });

  it('can be told to fail writes while it stays connected, and to stop failing', async () => {
    const relay = new SimulatedRelay();
    const recorder = new StateRecorder();
    relay.start(recorder.onStatus);
    relay.failWrites();
    await expect(relay.write([Uint8Array.of(1)])).resolves.toBe(false);
    expect(relay.state().status).toBe('connected');
    relay.failWrites(false);
    await expect(relay.write([Uint8Array.of(2)])).resolves.toBe(true);
    expect(relay.hexFrames()).toEqual(['02']);
  });

  it('reports going away and coming back through onStatus, with a reason', async () => {
    const relay = new SimulatedRelay();
    const recorder = new StateRecorder();
    relay.start(recorder.onStatus);
    relay.disconnect('cable cut');
    relay.reconnect();
    await relay.stop();
    expect(recorder.states.map((s) => [s.status, s.detail])).toEqual([
      ['connected', undefined],
      ['disconnected', 'cable cut'],
      ['connected', undefined],
      ['disconnected', 'stopped'],
    ]);
    expect(recorder.states.map((s) => [s.kind, s.device])).toEqual(Array(4).fill(['relay', 'simulated']));
  });
});

// The gate's fail-safe state machine, on fake timers. The relay here is a small recording relay
// written for this test (the real adapters have their own contract suite under src/relays, run
// over socat ptys): it records each write's frames and can be told to fail or disconnect.
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Relay, RelayState } from '../relays/relay.js';
import { GateController, type GateFrames } from './gate-controller.js';

const f = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const FRAMES: GateFrames = {
  idle: [f(0xa0, 0x01, 0x00, 0xa1)],
  green: [f(0xa0, 0x01, 0x01, 0xa2)],
  red: [f(0xa0, 0x04, 0x01, 0xa5)],
  amber: [f(0xa0, 0x03, 0x01, 0xa4)],
  fault: [f(0xa0, 0x04, 0x01, 0xa5), f(0xa0, 0x02, 0x00, 0xa2)],
  keepAlive: null,
};
const hex = (frames: readonly Uint8Array[]): string =>
  frames.map((x) => Buffer.from(x).toString('hex')).join('+');
/** A write's frames by the state's name they are (fault's two frames are one name), else their hex. */
const name = (frames: readonly Uint8Array[]): string => {
  for (const [k, known] of Object.entries(FRAMES) as [string, Uint8Array[] | null][]) {
    if (known !== null && hex(known) === hex(frames)) return k;
  }
  return hex(frames);
};

/** A recording relay (see the file's head). */
class RecordingRelay implements Relay {
  readonly device = 'test-relay';
  readonly writes: string[] = [];
  fail = false;
  #status: RelayState['status'] = 'connecting';
  #onStatus: ((s: RelayState) => void) | null = null;
  connectOnStart = true;
  stopped = false;

  state(): RelayState {
    return { device: this.device, kind: 'relay', status: this.#status };
  }
  start(onStatus: (state: RelayState) => void): void {
    this.#onStatus = onStatus;
    if (this.connectOnStart)
      queueMicrotask(() => {
        this.set('connected');
      });
  }
  set(status: RelayState['status']): void {
    this.#status = status;
    this.#onStatus?.(this.state());
  }
  /** So many next writes are made but their answers lost: the board goes to `error` (a Modbus echo lost). */
  drop = 0;
  write(frames: readonly Uint8Array[]): Promise<boolean> {
    // A board in error can still be written to (as SerialRelay): only away or connecting refuses.
    if (this.fail || this.#status === 'disconnected' || this.#status === 'connecting') {
      return Promise.resolve(false);
    }
    this.writes.push(name(frames));
    if (this.drop > 0) {
      this.drop--;
      this.set('error');
      return Promise.resolve(false);
    }
    // A good answer brings a board in error back.
    if (this.#status === 'error') this.set('connected');
    return Promise.resolve(true);
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  /** One name per write. */
  log(): string[] {
    return [...this.writes];
  }
}

const logger = pino({ level: 'silent' });

function gate(
  relay: RecordingRelay | null,
  extra: { keepAliveMs?: number; keepAlive?: Uint8Array[]; passbackSec?: number; log?: Logger } = {},
) {
  const views: string[] = [];
  const controller = new GateController({
    relay:
      relay === null
        ? null
        : {
            relay,
            frames: { ...FRAMES, keepAlive: extra.keepAlive ?? null },
            openMs: 5000,
            holdMs: 3000,
            keepAliveMs: extra.keepAliveMs ?? null,
            ...(extra.passbackSec !== undefined && { passbackSec: extra.passbackSec }),
          },
    ...(relay === null && extra.passbackSec !== undefined && { passbackSec: extra.passbackSec }),
    unattended: true,
    logger: extra.log ?? logger,
    clock: () => Date.now(),
    onChange: (v) => views.push(`${v.state}${v.faults.length > 0 ? `:${v.faults.join(',')}` : ''}`),
  });
  return { controller, views };
}

describe('GateController', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes idle first at start, awaited, before anything else', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    // A decision before start only sets what start sends after idle.
    await controller.start();
    expect(relay.log()).toEqual(['idle']);
    expect(controller.report().counts.shuts).toBe(1);
  });

  it('waits for the board to connect (bounded) before the first idle', async () => {
    const relay = new RecordingRelay();
    relay.connectOnStart = false;
    const { controller } = gate(relay);
    const started = controller.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(relay.log()).toEqual([]);
    relay.set('connected');
    await started;
    expect(relay.log()).toEqual(['idle']);
  });

  it('a recorded green opens for openMs, then idle; a repeat does not reopen', async () => {
    const relay = new RecordingRelay();
    const { controller, views } = gate(relay);
    await controller.start();
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'green']);
    expect(controller.view().state).toBe('open');
    expect(controller.view().openUntil).toBe(Date.now() + 5000);
    controller.decision({ decision: 'green', record: false, scanId: null });
    await vi.advanceTimersByTimeAsync(4900);
    expect(relay.log()).toEqual(['idle', 'green']);
    await vi.advanceTimersByTimeAsync(200);
    expect(relay.log()).toEqual(['idle', 'green', 'idle']);
    expect(controller.state()).toBe('idle');
    controller.decision({ decision: 'green', record: false, scanId: null });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relay.log()).toEqual(['idle', 'green', 'idle']);
    expect(controller.report().counts).toMatchObject({ opens: 1, repeats: 2, shuts: 2 });
    expect(views).toEqual(['idle', 'open', 'idle']);
  });

  it('a scan opens at most once (a second green for it, e.g. an override, does not reopen)', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    await controller.start();
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    await vi.advanceTimersByTimeAsync(6000);
    controller.override('s1', 'green');
    await vi.advanceTimersByTimeAsync(6000);
    expect(relay.log()).toEqual(['idle', 'green', 'idle']);
  });

  it('red and amber shut at once, even mid-open, then idle after holdMs', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    await controller.start();
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    await vi.advanceTimersByTimeAsync(1000);
    controller.decision({ decision: 'red', record: true, scanId: 's2' });
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'green', 'red']);
    expect(controller.view()).toMatchObject({ state: 'shut', openUntil: null });
    // The open's timer is gone: nothing at 5 s; idle after the hold (3 s).
    await vi.advanceTimersByTimeAsync(2900);
    expect(relay.log()).toEqual(['idle', 'green', 'red']);
    await vi.advanceTimersByTimeAsync(200);
    expect(relay.log()).toEqual(['idle', 'green', 'red', 'idle']);
    controller.decision({ decision: 'amber', record: true, scanId: 's3' });
    await vi.advanceTimersByTimeAsync(3100);
    expect(relay.log()).toEqual(['idle', 'green', 'red', 'idle', 'amber', 'idle']);
    expect(relay.log().filter((w) => w === 'green')).toHaveLength(1);
    expect(controller.report().counts).toMatchObject({ opens: 1, reds: 1, ambers: 1, shuts: 2 });
  });

  it('an override to green of the latest scan opens once; to red shuts', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    await controller.start();
    controller.decision({ decision: 'amber', record: true, scanId: 's1' });
    controller.override('s1', 'green');
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'amber', 'green']);
    controller.override('s1', 'green');
    controller.override('s1', 'red');
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'amber', 'green', 'red']);
    expect(controller.report().counts.opens).toBe(1);
  });

  it('faults hold the gate shut: no open while any is held; the last cleared idles it', async () => {
    const relay = new RecordingRelay();
    const { controller, views } = gate(relay);
    await controller.start();
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    controller.fault('scanner_lost', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'green', 'fault']);
    expect(controller.view()).toMatchObject({ state: 'fault', openUntil: null, faults: ['scanner_lost'] });
    controller.fault('display_lost', true);
    controller.decision({ decision: 'green', record: true, scanId: 's2' });
    controller.decision({ decision: 'red', record: true, scanId: 's3' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relay.log()).toEqual(['idle', 'green', 'fault']);
    controller.fault('scanner_lost', false);
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'green', 'fault']);
    controller.fault('display_lost', false);
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log()).toEqual(['idle', 'green', 'fault', 'idle']);
    // s2 was never opened for, so a later green of a new scan opens.
    controller.decision({ decision: 'green', record: true, scanId: 's4' });
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.log().at(-1)).toBe('green');
    expect(controller.report().counts).toMatchObject({ opens: 2, faults: 1, reds: 1 });
    expect(views).toContain('fault:scanner_lost,display_lost');
  });

  it('a lost relay is a fault; back, it is driven to idle', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    await controller.start();
    relay.set('disconnected');
    expect(controller.faults()).toEqual(['relay_lost']);
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    relay.set('connected');
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.faults()).toEqual([]);
    expect(controller.state()).toBe('idle');
    expect(relay.log()).toEqual(['idle', 'idle']);
  });

  it('keep-alive re-sends the current state, or the profile frames; stop stops it and writes idle', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay, { keepAliveMs: 1000 });
    await controller.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(relay.log()).toEqual(['idle', 'idle', 'idle']);
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(relay.log().slice(3)).toEqual(['green', 'green']);
    expect(controller.state()).toBe('open');
    await controller.stop();
    expect(relay.log().at(-1)).toBe('idle');
    expect(relay.stopped).toBe(true);
    expect(controller.view()).toMatchObject({ state: 'idle', openUntil: null });
    const n = relay.writes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relay.writes).toHaveLength(n);

    const relay2 = new RecordingRelay();
    const ka = f(0x01, 0x02);
    const two = gate(relay2, { keepAliveMs: 500, keepAlive: [ka] });
    await two.controller.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(relay2.log()).toEqual(['idle', '0102', '0102']);
    await two.controller.stop();
  });

  it('stop is bounded when the board hangs, and counts failed writes', async () => {
    const relay = new RecordingRelay();
    const { controller } = gate(relay);
    await controller.start();
    relay.fail = true;
    controller.decision({ decision: 'red', record: true, scanId: 's1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.report().counts.writeFailures).toBe(1);
    relay.write = () => new Promise<boolean>(() => undefined);
    const stopped = controller.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopped;
    expect(relay.stopped).toBe(true);
  });

  describe('a board in error (an answer lost) is degraded, not gone', () => {
    it('gets the fault frames at once, then again until it answers; then idle, never green again', async () => {
      const relay = new RecordingRelay();
      const { controller, views } = gate(relay, { keepAliveMs: 1000 });
      await controller.start();
      controller.decision({ decision: 'green', record: true, scanId: 's1' });
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'green']);
      // The keep-alive's answer is lost while the gate is open (and the next two): shut at once.
      relay.drop = 3;
      await vi.advanceTimersByTimeAsync(1000);
      expect(relay.state().status).toBe('error');
      expect(controller.view()).toMatchObject({ state: 'fault', faults: ['relay_lost'], openUntil: null });
      expect(relay.log()).toEqual(['idle', 'green', 'green', 'fault']);
      // The next beats re-send the fault frames; the board answers the second: back, idle.
      await vi.advanceTimersByTimeAsync(1000);
      expect(relay.log()).toEqual(['idle', 'green', 'green', 'fault', 'fault']);
      expect(controller.state()).toBe('fault');
      await vi.advanceTimersByTimeAsync(1000);
      expect(relay.log()).toEqual(['idle', 'green', 'green', 'fault', 'fault', 'fault', 'idle']);
      expect(relay.state().status).toBe('connected');
      expect(controller.view()).toMatchObject({ state: 'idle', faults: [] });
      // Well past the open time: the gate never opens again by itself.
      await vi.advanceTimersByTimeAsync(10_000);
      expect(
        relay
          .log()
          .slice(7)
          .every((w) => w === 'idle'),
      ).toBe(true);
      expect(controller.state()).toBe('idle');
      expect(views).toEqual(['idle', 'open', 'fault:relay_lost', 'idle']);
      expect(controller.report().counts).toMatchObject({ opens: 1, faults: 1 });
      await controller.stop();
    });

    it('without a keep-alive, a board in error is still sent the current frames every second', async () => {
      const relay = new RecordingRelay();
      const { controller } = gate(relay);
      await controller.start();
      relay.drop = 2;
      controller.decision({ decision: 'red', record: true, scanId: 's1' });
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'red', 'fault']);
      expect(controller.faults()).toEqual(['relay_lost']);
      await vi.advanceTimersByTimeAsync(1000);
      expect(relay.log()).toEqual(['idle', 'red', 'fault', 'fault', 'idle']);
      expect(controller.view()).toMatchObject({ state: 'idle', faults: [] });
      // Connected with no keep-alive: nothing more is sent.
      await vi.advanceTimersByTimeAsync(5000);
      expect(relay.log()).toHaveLength(5);
      await controller.stop();
    });

    it('already in fault for another reason: the fault frames are sent again when it misbehaves', async () => {
      const relay = new RecordingRelay();
      const { controller } = gate(relay);
      await controller.start();
      controller.fault('scanner_lost', true);
      relay.drop = 1;
      controller.decision({ decision: 'green', record: true, scanId: 's1' });
      relay.set('error');
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'fault', 'fault']);
      await vi.advanceTimersByTimeAsync(1000);
      // Back: relay_lost clears, scanner_lost still holds the gate in fault (its frames again).
      expect(controller.faults()).toEqual(['scanner_lost']);
      expect(relay.log().at(-1)).toBe('fault');
      expect(relay.log()).not.toContain('green');
      await controller.stop();
    });

    it('a board away during an open gets, when back after the open time, idle (or the fault held)', async () => {
      const relay = new RecordingRelay();
      const { controller } = gate(relay);
      await controller.start();
      controller.decision({ decision: 'green', record: true, scanId: 's1' });
      await vi.advanceTimersByTimeAsync(1000);
      relay.set('disconnected');
      await vi.advanceTimersByTimeAsync(10_000);
      expect(relay.log()).toEqual(['idle', 'green']);
      relay.set('connecting');
      relay.set('connected');
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'green', 'idle']);
      controller.fault('display_lost', true);
      relay.set('disconnected');
      relay.set('connected');
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'green', 'idle', 'fault', 'fault']);
      expect(controller.state()).toBe('fault');
      await controller.stop();
    });
  });

  describe('anti-passback', () => {
    const green = (scanId: string, passbackKey: string | null, record = true) =>
      ({ decision: 'green', record, scanId, passbackKey }) as const;

    it('a code that opened the gate does not open it again within passbackSec: shut, counted, logged', async () => {
      const lines: string[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
      const relay = new RecordingRelay();
      const { controller, views } = gate(relay, { log });
      await controller.start();
      expect(controller.decision(green('s1', 'KEY-A'))).toBe('open');
      await vi.advanceTimersByTimeAsync(2000);
      // A repeat (not recorded) is a repeat, not a passback.
      expect(controller.decision(green('s2', 'KEY-A', false))).toBe('repeat');
      await vi.advanceTimersByTimeAsync(4000);
      // Recorded again after the repeat window (6 s), then at 2 min: shut, "see staff".
      expect(controller.decision(green('s3', 'KEY-A'))).toBe('passback');
      expect(controller.view()).toMatchObject({ state: 'shut', openUntil: null });
      await vi.advanceTimersByTimeAsync(0);
      expect(relay.log()).toEqual(['idle', 'green', 'idle', 'amber']);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(controller.decision(green('s4', 'KEY-A'))).toBe('passback');
      // Another code opens.
      expect(controller.decision(green('s5', 'KEY-B'))).toBe('open');
      expect(controller.report().counts).toMatchObject({
        opens: 2,
        passbacks: 2,
        repeats: 1,
        reds: 0,
        ambers: 0,
      });
      expect(views).toContain('shut');
      // After the window (300 s from the open), the code opens again.
      await vi.advanceTimersByTimeAsync(180_000);
      expect(controller.decision(green('s6', 'KEY-A'))).toBe('open');
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.filter((l) => l['gate'] === 'passback')).toHaveLength(2);
      expect(lines.join('\n')).not.toMatch(/KEY-A|KEY-B|"s[0-9]"/);
      await controller.stop();
    });

    it('an officer override to green opens despite a passback; passbackSec 0 is off', async () => {
      const relay = new RecordingRelay();
      const { controller } = gate(relay);
      await controller.start();
      controller.decision(green('s1', 'KEY-A'));
      await vi.advanceTimersByTimeAsync(6000);
      expect(controller.decision(green('s2', 'KEY-A'))).toBe('passback');
      controller.override('s2', 'green');
      expect(controller.state()).toBe('open');
      await controller.stop();

      const off = gate(new RecordingRelay(), { passbackSec: 0 });
      await off.controller.start();
      expect(off.controller.decision(green('s1', 'KEY-A'))).toBe('open');
      await vi.advanceTimersByTimeAsync(6000);
      expect(off.controller.decision(green('s2', 'KEY-A'))).toBe('open');
      await off.controller.stop();
    });

    it('a screen-only gate keeps the same rule; only recorded reds and ambers are counted', async () => {
      const { controller } = gate(null, { passbackSec: 60 });
      await controller.start();
      controller.decision(green('s1', 'KEY-A'));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(controller.decision(green('s2', 'KEY-A'))).toBe('passback');
      expect(controller.state()).toBe('shut');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(controller.decision(green('s3', 'KEY-A'))).toBe('open');
      controller.decision({ decision: 'red', record: true, scanId: 's4' });
      controller.decision({ decision: 'red', record: false, scanId: null });
      controller.decision({ decision: 'amber', record: false, scanId: null });
      expect(controller.state()).toBe('shut');
      expect(controller.report().counts).toMatchObject({ reds: 1, ambers: 0, passbacks: 1, opens: 2 });
      await controller.stop();
    });
  });

  it('with no relay: the same states and countdown, nothing sent', async () => {
    const { controller, views } = gate(null);
    await controller.start();
    controller.decision({ decision: 'green', record: true, scanId: 's1' });
    expect(controller.view()).toMatchObject({ state: 'open', relay: null, unattended: true });
    await vi.advanceTimersByTimeAsync(5000);
    expect(controller.state()).toBe('idle');
    expect(views).toEqual(['idle', 'open', 'idle']);
    await controller.stop();
  });
});

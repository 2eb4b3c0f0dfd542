// The gate wired into a real lane agent (real store, real decision loop, an offline lane): the
// relay is the SimulatedRelay (src/relays; the serial one is exercised over socat ptys in
// tests/integration/lane-gate.test.ts), the scanner a small in-test one whose status the test sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSubjectText, type GateView } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LaneDecision } from '../agent/decision-loop.js';
import { LaneAgent, type LaneEvent } from '../agent/lane-agent.js';
import { hashPin } from '../agent/officers.js';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import { loadHardwareProfile, type RelayProfile } from '../profiles/hardware-profile.js';
import { SimulatedRelay } from '../relays/index.js';
import type { DeviceState, Scanner, ScannerSink } from '../scanners/scanner.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { writeOfflineLane } from '../testing/offline-lane.js';

const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const CLEAN = '079201004568';
const ON = 'A0 01 01 A2';
const OFF = 'A0 01 00 A1';

/** A scanner whose status and scans the test drives. */
class TestScanner implements Scanner {
  readonly device = 'test-scanner';
  readonly kind = 'serial' as const;
  #sink: ScannerSink | null = null;
  #state: DeviceState = { device: this.device, kind: 'serial', status: 'connecting' };
  state(): DeviceState {
    return this.#state;
  }
  start(sink: ScannerSink): void {
    this.#sink = sink;
    this.set('connected');
  }
  set(status: DeviceState['status']): void {
    this.#state = { ...this.#state, status };
    this.#sink?.status(this.#state);
  }
  scan(text: string): void {
    this.#sink?.scan({ text, source: 'serial', device: this.device });
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function profile(): RelayProfile {
  const loaded = loadHardwareProfile(resolve(__dirname, '../../../hardware-profiles/lcus-1-relay.json'));
  if (!loaded.ok || loaded.profile.kind !== 'relay') throw new Error('lcus-1-relay.json should load');
  return { ...loaded.profile, relay: { ...loaded.profile.relay, openMs: 800, holdMs: 600 } };
}

let dir: string;
let agent: LaneAgent;
let relay: SimulatedRelay;
let scanner: TestScanner;
let events: LaneEvent[];

async function openLane(
  options: { gateMode?: boolean; gateDisplay?: boolean; relay?: boolean; clock?: () => number } = {},
) {
  relay = new SimulatedRelay();
  scanner = new TestScanner();
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [scanner],
    logger: pino({ level: 'silent' }),
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
    gateMode: options.gateMode ?? true,
    ...(options.relay !== false && { relay: { relay, profile: profile() } }),
    gateDisplay: options.gateDisplay ?? false,
    gateTimings: { scannerLostMs: 300, displayLostMs: 400 },
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  const keyer = createSubjectKeyer(listKey);
  agent.store.overlayHealth([
    { key: keyer(parseSubjectText(F0)!), entry: { status: 'F0', since: null, until: null } },
  ]);
  agent.store.markSynced('health', Date.now());
  agent.store.markSynced('whitelist', Date.now());
  events = [];
  agent.onEvent((e) => events.push(e));
  await agent.start();
}

const gateEvents = (): GateView[] =>
  events.filter((e) => e.type === 'gate').map((e) => (e as { data: GateView }).data);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-gate-'));
  writeOfflineLane(dir, {
    listKey,
    blockingStatuses: ['F0'],
    officers: [{ id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') }],
  });
});

afterEach(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the gate in a lane', () => {
  it('idle first; a green opens then idles; a repeat does not reopen; a red shuts; stop writes idle', async () => {
    await openLane();
    expect(relay.hexFrames()).toEqual([OFF]);
    scanner.scan(CLEAN);
    expect(relay.hexFrames()).toEqual([OFF, ON]);
    expect(agent.gateView('officer')).toMatchObject({ state: 'open', unattended: true, relay: 'simulated' });
    expect(agent.gateView('officer').openUntil).toBeGreaterThan(Date.now());
    scanner.scan(CLEAN); // a repeat: not recorded
    await vi.waitFor(
      () => {
        expect(agent.gateView().state).toBe('idle');
      },
      { timeout: 5000 },
    );
    expect(relay.hexFrames()).toEqual([OFF, ON, OFF]);
    scanner.scan(CLEAN);
    scanner.scan(F0);
    expect(relay.hexFrames().filter((f) => f === ON)).toHaveLength(1);
    expect(agent.gateView().state).toBe('shut');
    expect(agent.gateReport()?.counts).toMatchObject({ opens: 1, reds: 1, repeats: 2 });
    expect(gateEvents().map((v) => v.state)).toEqual(expect.arrayContaining(['open', 'idle', 'shut']));
    // The relay is a device of the lane (the heartbeat reports it).
    expect(agent.status().devices.find((d) => d.kind === 'relay')).toMatchObject({ status: 'connected' });
    await agent.stop();
    expect(relay.hexFrames().at(-1)).toBe(OFF);
    expect(relay.state().status).toBe('disconnected');
  });

  it('anti-passback: a code that opened the gate does not open it again within passbackSec; a restart forgets', async () => {
    let now = Date.now();
    await openLane({ clock: () => now });
    scanner.scan(CLEAN);
    expect(relay.hexFrames()).toEqual([OFF, ON]);
    now += 2000;
    scanner.scan(CLEAN); // within the repeat window: a repeat, not recorded
    now += 4000;
    scanner.scan(CLEAN); // recorded again (the repeat window is 5 s): the same code, a passback
    const decisions = events
      .filter((e) => e.type === 'decision')
      .map((e) => (e as { data: LaneDecision }).data);
    expect(decisions.map((d) => [d.decision, d.record])).toEqual([
      ['green', true],
      ['green', false],
      ['green', true],
    ]);
    expect(agent.gateView().state).toBe('shut');
    expect(relay.hexFrames().filter((f) => f === ON)).toHaveLength(1);
    expect(agent.gateReport()?.counts).toMatchObject({
      opens: 1,
      passbacks: 1,
      repeats: 1,
      reds: 0,
      ambers: 0,
    });
    // The key is the gate's only: not in the decision the lane announces.
    for (const d of decisions) expect(JSON.stringify(d)).not.toMatch(/passback/i);
    // Another code opens.
    now += 1000;
    scanner.scan('079201004570');
    expect(relay.hexFrames().filter((f) => f === ON)).toHaveLength(2);
    // A restart forgets (RAM only): the first code opens again.
    await agent.stop();
    await openLane({ clock: () => now });
    now += 1000;
    scanner.scan(CLEAN);
    expect(relay.hexFrames()).toEqual([OFF, ON]);
    expect(agent.gateReport()?.counts).toMatchObject({ opens: 1, passbacks: 0 });
  });

  it('an override to green of the latest scan opens once; of an older scan, never', async () => {
    await openLane();
    const a = agent.submit('not a code');
    const b = agent.submit('another bad code');
    const toGreen = {
      decision: 'green',
      officerId: 'CB-01',
      officerPin: '1111',
      reason: 'identity_checked',
    } as const;
    expect(await agent.override(a.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(relay.hexFrames()).not.toContain(ON);
    expect(await agent.override(b.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(relay.hexFrames().filter((f) => f === ON)).toHaveLength(1);
  });

  it('all scanners lost > the limit: fault, no open; back: idle', async () => {
    await openLane();
    scanner.set('disconnected');
    await vi.waitFor(
      () => {
        expect(agent.gateFaults()).toEqual(['scanner_lost']);
      },
      { timeout: 5000 },
    );
    expect(gateEvents().at(-1)).toMatchObject({ state: 'fault', faults: ['scanner_lost'] });
    agent.submit(CLEAN); // decided and recorded, the gate stays shut
    expect(relay.hexFrames()).not.toContain(ON);
    scanner.set('connected');
    expect(agent.gateFaults()).toEqual([]);
    expect(agent.gateView().state).toBe('idle');
  });

  it('a scanner that keeps retrying (connecting, disconnected, connecting…) is lost too', async () => {
    await openLane();
    scanner.set('disconnected');
    // An unplugged serial scanner says `connecting` at each retry: that must not restart the limit.
    const retries = setInterval(() => {
      scanner.set(scanner.state().status === 'connecting' ? 'disconnected' : 'connecting');
    }, 300);
    try {
      await vi.waitFor(
        () => {
          expect(agent.gateFaults()).toEqual(['scanner_lost']);
        },
        { timeout: 8000 },
      );
    } finally {
      clearInterval(retries);
    }
    scanner.set('connected');
    expect(agent.gateFaults()).toEqual([]);
  });

  it('a lost relay is a fault (and a device state); a gate screen missing too long is display_lost', async () => {
    await openLane({ gateDisplay: true });
    agent.displayConnected(1);
    relay.disconnect();
    expect(agent.gateFaults()).toEqual(['relay_lost']);
    expect(
      events.some((e) => e.type === 'device' && e.data.kind === 'relay' && e.data.status === 'disconnected'),
    ).toBe(true);
    relay.reconnect();
    expect(agent.gateFaults()).toEqual([]);
    agent.displayConnected(0);
    await vi.waitFor(
      () => {
        expect(agent.gateFaults()).toEqual(['display_lost']);
      },
      { timeout: 5000 },
    );
    agent.displayConnected(1);
    expect(agent.gateFaults()).toEqual([]);
  });

  it('a staff card is never decided nor recorded; PIN unlock and lock; traveller view has no unlock', async () => {
    await openLane({ relay: false });
    const before = agent.store.backlog().count;
    scanner.scan('CLSC1:not-a-real-card');
    expect(events.filter((e) => e.type === 'decision')).toHaveLength(0);
    expect(agent.store.backlog().count).toBe(before);
    expect(agent.staffCard('CLSC1:xyz')).toMatchObject({ ok: false });
    expect(agent.staffCard(CLEAN)).toBeNull();
    expect(await agent.gateUnlock('CB-01', '0000')).toMatchObject({ ok: false, error: 'wrong_pin' });
    const unlocked = await agent.gateUnlock('CB-01', '1111');
    expect(unlocked).toMatchObject({ ok: true, unlock: { officerId: 'CB-01', via: 'pin' } });
    expect(agent.gateView('officer').unlock).toMatchObject({ officerId: 'CB-01' });
    expect(agent.gateView('traveller').unlock).toBeNull();
    expect(gateEvents().at(-1)?.unlock).toMatchObject({ officerId: 'CB-01' });
    expect(agent.gateReport()?.counts.unlocks).toBe(1);
    expect(agent.gateLock()).toEqual({ ok: true, unlock: null });
    expect(gateEvents().at(-1)?.unlock).toBeNull();
    // A screen-only gate: same states, no relay.
    agent.submit(CLEAN);
    expect(agent.gateView()).toMatchObject({ state: 'open', relay: null });
  });

  it('a lane not in gate mode refuses unlocks and decides staff cards as any code', async () => {
    await openLane({ gateMode: false, relay: false });
    expect(await agent.gateUnlock('CB-01', '1111')).toEqual({ ok: false, error: 'not_gate_mode' });
    expect(agent.staffCard('CLSC1:xyz')).toBeNull();
    expect(agent.gateReport()).toBeUndefined();
    expect(agent.gateView()).toMatchObject({ unattended: false, state: 'idle', relay: null });
  });
});

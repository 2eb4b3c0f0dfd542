// Vehicle mode: the tracker alone (injected clock), then through the real decision loop and a
// real (in-memory) lane store: what each recorded scan carries as its vehicleId.
import {
  CHECKPOINT_DEFAULTS,
  parseSubjectText,
  type CheckpointConfig,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { DecisionLoop } from './decision-loop.js';
import { createSubjectKeyer, singleKeyers } from './subject-keyer.js';
import { VEHICLE_OPEN_MS, VehicleTracker, vehicleColour, type ClosedVehicle } from './vehicle-tracker.js';

const F0 = '001090123456';
const CLEAN = ['079201004568', '079201004569', '079201004570'] as const;
const PLATE = '51F-123.45';
const GREEN_LANE_PLATE = '29C-678.90';
const keyer = createSubjectKeyer(Buffer.alloc(32, 5));
const ID = (n: number): string => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('VehicleTracker', () => {
  const setUp = () => {
    let now = 1_000_000;
    const closed: ClosedVehicle[] = [];
    const tracker = new VehicleTracker({ clock: () => now, onClose: (c) => closed.push(c) });
    return { tracker, closed, advance: (ms: number) => (now += ms), now: () => now };
  };
  const person = (n: number, at: number, decision: 'green' | 'red' | 'amber' = 'green') => ({
    scanId: ID(n),
    at,
    decision,
    healthStatus: decision === 'red' ? ('F0' as const) : null,
    subject: { kind: 'personal_id' as const, shown: `••••••••000${n}` },
  });

  it('plate, 3 passengers, one F0: the vehicle is red, with 3 passengers and each one’s colour', () => {
    const { tracker, now } = setUp();
    tracker.plate({ id: ID(1), at: now(), decision: 'green', shown: PLATE, greenLane: false });
    expect(tracker.passenger(ID(1), person(2, now()))).toEqual({
      id: ID(1),
      passengers: 1,
      decision: 'green',
    });
    tracker.passenger(ID(1), person(3, now(), 'red'));
    expect(tracker.passenger(ID(1), person(4, now()))).toEqual({ id: ID(1), passengers: 3, decision: 'red' });
    const panel = tracker.panel();
    expect(panel).toMatchObject({
      id: ID(1),
      plateShown: PLATE,
      plateDecision: 'green',
      decision: 'red',
      passengerCount: 3,
      closesAt: now() + VEHICLE_OPEN_MS,
    });
    expect(panel?.passengers.map((p) => p.decision)).toEqual(['green', 'red', 'green']);
    expect(panel?.passengers[1]?.healthStatus).toBe('F0');
  });

  it('the next plate closes the open vehicle and opens its own', () => {
    const { tracker, closed, now } = setUp();
    tracker.plate({ id: ID(1), at: now(), decision: 'green', shown: PLATE, greenLane: false });
    tracker.passenger(ID(1), person(2, now()));
    tracker.plate({ id: ID(3), at: now(), decision: 'green', shown: '30G-111.22', greenLane: false });
    expect(closed).toEqual([
      { vehicle: { id: ID(1), passengers: 1, decision: 'green' }, reason: 'next_plate' },
    ]);
    expect(tracker.openId()).toBe(ID(3));
    // A late passenger for the closed vehicle joins nothing.
    expect(tracker.passenger(ID(1), person(4, now()))).toBeNull();
    expect(tracker.panel()?.passengerCount).toBe(0);
  });

  it('"Xe đã qua" closes only the vehicle it names; again, it is already closed', () => {
    const { tracker, closed, now } = setUp();
    tracker.plate({ id: ID(1), at: now(), decision: 'green', shown: PLATE, greenLane: false });
    tracker.passenger(ID(1), person(2, now(), 'amber'));
    expect(tracker.passed(ID(9))).toEqual({ ok: false, error: 'unknown_vehicle' });
    expect(tracker.openId()).toBe(ID(1));
    expect(tracker.passed(ID(1))).toEqual({
      ok: true,
      vehicle: { id: ID(1), passengers: 1, decision: 'amber' },
    });
    expect(closed.map((c) => c.reason)).toEqual(['passed']);
    expect(tracker.openId()).toBeNull();
    expect(tracker.panel()).toBeNull();
    expect(tracker.passed(ID(1))).toEqual({ ok: false, error: 'vehicle_closed' });
  });

  it('closes 10 minutes after the plate scan, however recent the last passenger', () => {
    const { tracker, closed, advance, now } = setUp();
    tracker.plate({ id: ID(1), at: now(), decision: 'green', shown: PLATE, greenLane: false });
    advance(VEHICLE_OPEN_MS - 1000);
    tracker.passenger(ID(1), person(2, now()));
    advance(999);
    expect(tracker.expire()).toBe(false);
    expect(tracker.openId()).toBe(ID(1));
    advance(1);
    expect(tracker.expire()).toBe(true);
    expect(closed).toEqual([{ vehicle: { id: ID(1), passengers: 1, decision: 'green' }, reason: 'timeout' }]);
    expect(tracker.openId()).toBeNull();
    expect(tracker.passenger(ID(1), person(3, now()))).toBeNull();
  });

  it('an override in the open vehicle changes its colour', () => {
    const { tracker, now } = setUp();
    tracker.plate({ id: ID(1), at: now(), decision: 'amber', shown: PLATE, greenLane: false });
    tracker.passenger(ID(1), person(2, now(), 'red'));
    expect(tracker.summary()?.decision).toBe('red');
    expect(tracker.applyOverride(ID(2), 'green')).toBe(true);
    expect(tracker.summary()?.decision).toBe('amber');
    expect(tracker.applyOverride(ID(1), 'green')).toBe(true);
    expect(tracker.summary()?.decision).toBe('green');
    expect(tracker.applyOverride(ID(7), 'red')).toBe(false);
  });

  it('restores a vehicle open before a restart only within its 10 minutes, and never over an open one', () => {
    const { tracker, closed, advance, now } = setUp();
    const plate = { id: ID(1), at: now(), decision: 'green' as const, shown: null, greenLane: false };
    advance(VEHICLE_OPEN_MS - 1000);
    expect(tracker.restore(plate, [person(2, plate.at, 'red')])).toBe(true);
    expect(tracker.panel()).toMatchObject({
      id: ID(1),
      plateShown: null,
      passengerCount: 1,
      decision: 'red',
    });
    expect(tracker.passenger(ID(1), person(3, now()))).toEqual({ id: ID(1), passengers: 2, decision: 'red' });
    // An override of a passenger from before the restart still changes the colour.
    expect(tracker.applyOverride(ID(2), 'green')).toBe(true);
    expect(tracker.summary()?.decision).toBe('green');
    expect(tracker.restore({ ...plate, id: ID(9) }, [])).toBe(false);
    // Its time counts from its plate scan, not from the restart.
    advance(1000);
    expect(tracker.openId()).toBeNull();
    expect(closed).toEqual([{ vehicle: { id: ID(1), passengers: 2, decision: 'green' }, reason: 'timeout' }]);
    expect(tracker.restore(plate, [])).toBe(false);
    expect(tracker.openId()).toBeNull();
  });

  it('colours a vehicle by its worst: red over amber over green', () => {
    expect(vehicleColour('green', [])).toBe('green');
    expect(vehicleColour('green', ['green', 'amber'])).toBe('amber');
    expect(vehicleColour('amber', ['green', 'red'])).toBe('red');
    expect(vehicleColour('red', ['green'])).toBe('red');
  });
});

describe('vehicle mode in the decision loop', () => {
  let store: LaneStore;
  afterEach(() => {
    store.close();
  });

  function setUp(mode: CheckpointConfig['mode'], vehicleMode = true) {
    store = LaneStore.open(':memory:');
    store.overlayHealth([
      { key: keyer(parseSubjectText(F0)!), entry: { status: 'F0', since: null, until: null } },
    ]);
    const wl = store.replaceWhitelist();
    wl.add([
      {
        key: keyer(parseSubjectText(GREEN_LANE_PLATE)!),
        entry: { category: 'green_lane', validFrom: null, validUntil: null },
        validHere: true,
      },
      ...CLEAN.map((id) => ({
        key: keyer(parseSubjectText(id)!),
        entry: { category: 'shipper' as const, validFrom: null, validUntil: null },
        validHere: true,
      })),
    ]);
    wl.commit(1, 1);
    let now = Date.now();
    store.markSynced('health', now);
    store.markSynced('whitelist', now);
    const checkpoint: CheckpointConfig = { id: 'CP-V', name: 'Chốt xe', mode, ...CHECKPOINT_DEFAULTS };
    const tracker = new VehicleTracker({ clock: () => now });
    const loop = new DecisionLoop({
      store,
      keyers: singleKeyers(keyer),
      checkpoint: () => checkpoint,
      logger: pino({ level: 'silent' }),
      clock: () => now,
      vehicles: { enabled: () => vehicleMode, tracker },
    });
    const scan = (text: string) => {
      now += 1000;
      return loop.handle({ text, source: 'stdin', device: 'stdin' });
    };
    const records = () => store.pendingRecords(100) as ScanRecord[];
    return { scan, records, tracker, advance: (ms: number) => (now += ms) };
  }

  it('a plate names itself; the 3 passengers after it carry its id; an F0 among them makes it red', () => {
    const { scan, records, tracker } = setUp('open');
    const before = scan(CLEAN[0]);
    const plate = scan(PLATE);
    expect(plate.vehicle).toEqual({ id: plate.scanId, passengers: 0, decision: 'green' });
    scan(CLEAN[1]);
    const f0 = scan(F0);
    const last = scan(CLEAN[2]);
    expect(f0.decision).toBe('red');
    expect(last.vehicle).toEqual({ id: plate.scanId, passengers: 3, decision: 'red' });
    const stored = records();
    expect(stored.map((r) => r.vehicleId ?? null)).toEqual([null, ...Array<string>(4).fill(plate.scanId!)]);
    expect(stored[1]?.id).toBe(plate.scanId);
    expect(before.vehicle).toBeUndefined();
    expect(tracker.panel()?.plateShown).toBe(PLATE);
    // The next plate closes it: what follows belongs to the new one.
    const next = scan('30G-111.22');
    const after = scan(CLEAN[0]);
    expect(after.vehicle).toEqual({ id: next.scanId, passengers: 1, decision: 'green' });
    expect(records().at(-1)?.vehicleId).toBe(next.scanId);
  });

  it('10 minutes after the plate, a person scan belongs to no vehicle', () => {
    const { scan, records, advance } = setUp('open');
    const plate = scan(PLATE);
    advance(VEHICLE_OPEN_MS);
    const late = scan(CLEAN[0]);
    expect(late.vehicle).toBeUndefined();
    expect(records().map((r) => r.vehicleId ?? null)).toEqual([plate.scanId, null]);
  });

  it('a repeat of the plate within the repeat window records nothing and keeps the vehicle', () => {
    const { scan, records } = setUp('open');
    const plate = scan(PLATE);
    scan(CLEAN[0]);
    const again = scan(PLATE);
    expect(again.scanId).toBeNull();
    scan(CLEAN[1]);
    expect(records().map((r) => r.vehicleId)).toEqual(Array<string>(3).fill(plate.scanId!));
  });

  it('a closed checkpoint: a green-lane plate and whitelisted people make a green vehicle; one red passenger makes it red', () => {
    const { scan, tracker } = setUp('closed');
    const plate = scan(GREEN_LANE_PLATE);
    expect(plate.decision).toBe('green');
    scan(CLEAN[0]);
    expect(tracker.panel()).toMatchObject({ greenLane: true, decision: 'green', passengerCount: 1 });
    scan(F0);
    expect(tracker.panel()).toMatchObject({ greenLane: true, decision: 'red', passengerCount: 2 });
    // A plate not on the whitelist at a closed checkpoint is red, whoever rides in it.
    const other = scan(PLATE);
    expect(other.decision).toBe('red');
    scan(CLEAN[1]);
    expect(tracker.panel()).toMatchObject({ greenLane: false, decision: 'red', plateDecision: 'red' });
  });

  it('out of vehicle mode, no scan names a vehicle', () => {
    const { scan, records, tracker } = setUp('open', false);
    scan(PLATE);
    scan(CLEAN[0]);
    expect(records().map((r) => 'vehicleId' in r)).toEqual([false, false]);
    expect(tracker.panel()).toBeNull();
  });
});

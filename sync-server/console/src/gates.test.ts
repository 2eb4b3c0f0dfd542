import type { GateReport } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import {
  applyGateEvent,
  applyLaneStatus,
  isGateAlert,
  isGateEvent,
  openAlertsByLane,
  unattendedLanes,
} from './gates.js';
import type { Alert, Kiosk } from './types.js';

const report = (p: Partial<GateReport> = {}): GateReport => ({
  unattended: true,
  relay: null,
  state: 'idle',
  faults: [],
  counts: { opens: 0, shuts: 0, reds: 0, ambers: 0, repeats: 0, faults: 0, writeFailures: 0, unlocks: 0 },
  ...p,
});

const lane = (id: string, p: Partial<Kiosk> = {}): Kiosk => ({
  id,
  name: id,
  checkpointId: 'MALL',
  enrolledAt: 0,
  revokedAt: null,
  online: true,
  lastHeartbeatAt: 1,
  listVersions: { health: 1, whitelist: 1 },
  backlog: 0,
  devices: [],
  clockSkewMs: 0,
  ackedThrough: 0,
  ...p,
});

describe('unattended gates page logic', () => {
  it('shows the unattended gates of one checkpoint, faults first, then by name', () => {
    const fleet = [
      lane('c', { name: 'Cổng C', gate: report() }),
      lane('a', { name: 'Cổng A', gate: report() }),
      lane('b', { name: 'Cổng B', gate: report({ state: 'fault', faults: ['relay_lost'] }) }),
      lane('attended', { gate: report({ unattended: false }) }),
      lane('plain'),
      lane('revoked', { revokedAt: 5, gate: report() }),
      lane('elsewhere', { checkpointId: 'STATION', gate: report() }),
    ];
    expect(unattendedLanes(fleet, 'MALL').map((k) => k.id)).toEqual(['b', 'a', 'c']);
    expect(unattendedLanes(fleet, 'STATION').map((k) => k.id)).toEqual(['elsewhere']);
    expect(unattendedLanes(fleet, 'NONE')).toEqual([]);
  });

  it('applies live gate and status events to the lane they name', () => {
    const fleet = [lane('a', { gate: report() }), lane('b')];
    const faulty = report({ state: 'fault', faults: ['scanner_lost'] });
    const next = applyGateEvent(fleet, { kioskId: 'b', checkpointId: 'MALL', at: 99, gate: faulty });
    expect(next[1]).toMatchObject({ gate: faulty, lastHeartbeatAt: 99 });
    expect(next[0]).toBe(fleet[0]);
    const gone = applyGateEvent(next, { kioskId: 'b', checkpointId: 'MALL', at: 100, gate: null });
    expect(gone[1]).not.toHaveProperty('gate');
    expect(applyLaneStatus(fleet, { kioskId: 'a', online: false, at: 1 })[0]?.online).toBe(false);
  });

  it('checks event data and counts unacknowledged alerts per lane', () => {
    expect(isGateEvent({ kioskId: 'a', checkpointId: 'MALL', at: 1, gate: null })).toBe(true);
    expect(isGateEvent({ kioskId: 'a', at: 1, gate: { faults: [] } })).toBe(true);
    expect(isGateEvent({ kioskId: 'a', at: '1', gate: null })).toBe(false);
    expect(isGateEvent(null)).toBe(false);
    const alerts = [
      { kioskId: 'a', ackedAt: null, kind: 'gate_red' },
      { kioskId: 'a', ackedAt: 5, kind: 'gate_fault' },
      { kioskId: 'b', ackedAt: null, kind: 'gate_fault' },
      { kioskId: 'a', kind: 'gate_fault' },
    ] as Alert[];
    expect(openAlertsByLane(alerts)).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    expect(isGateAlert({ kind: 'gate_red' })).toBe(true);
    expect(isGateAlert({ kind: 'health' })).toBe(false);
  });
});

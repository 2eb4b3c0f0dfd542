// Which lanes are in vehicle mode: `--vehicle-mode` (the agent option), or the checkpoint config
// the server gave (`vehicleMode: true`); neither: no scan names a vehicle and the desk says off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { writeOfflineLane } from '../testing/offline-lane.js';
import { LaneAgent } from './lane-agent.js';
import { hashPin } from './officers.js';

const logger = pino({ level: 'silent' });
let dir: string;
let agent: LaneAgent | null = null;

afterEach(async () => {
  await agent?.stop();
  agent = null;
  rmSync(dir, { recursive: true, force: true });
});

async function lane(setting: boolean | undefined, flag: boolean | undefined): Promise<LaneAgent> {
  dir = mkdtempSync(join(tmpdir(), 'lane-vehicle-mode-'));
  writeOfflineLane(dir, {
    listKey: Buffer.alloc(32, 3),
    officers: [{ id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') }],
    ...(setting !== undefined && { vehicleMode: setting }),
  });
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    ...(flag !== undefined && { vehicleMode: flag }),
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  agent.store.markSynced('health', Date.now());
  agent.store.markSynced('whitelist', Date.now());
  return agent;
}

describe('vehicle mode on a lane', () => {
  it.each([
    { setting: true, flag: undefined, on: true },
    { setting: undefined, flag: true, on: true },
    { setting: false, flag: true, on: true },
    { setting: false, flag: false, on: false },
    { setting: undefined, flag: undefined, on: false },
  ])('checkpoint setting $setting, --vehicle-mode $flag: on = $on', async ({ setting, flag, on }) => {
    const a = await lane(setting, flag);
    expect(a.vehicleMode()).toBe(on);
    const plate = a.submit('51F-123.45');
    const person = a.submit('079201004568');
    expect(a.desk().vehicleMode).toBe(on);
    if (on) {
      expect(plate.vehicle).toEqual({ id: plate.scanId, passengers: 0, decision: 'green' });
      expect(person.vehicle).toEqual({ id: plate.scanId, passengers: 1, decision: 'green' });
      expect(a.desk().vehicle).toMatchObject({
        id: plate.scanId,
        plateShown: '51F-123.45',
        passengerCount: 1,
      });
      expect(a.vehiclePassed(plate.scanId!)).toEqual({ ok: true, vehicle: person.vehicle });
    } else {
      expect(plate.vehicle).toBeUndefined();
      expect(person.vehicle).toBeUndefined();
      expect(a.desk().vehicle).toBeNull();
      expect(a.vehiclePassed(plate.scanId!)).toEqual({ ok: false, error: 'not_vehicle_mode' });
      expect(a.store.pendingRecords(10).some((r) => 'vehicleId' in r)).toBe(false);
    }
  });
});

describe('an override in the open vehicle', () => {
  it('changes the vehicle colour the desk shows (an amber passenger seen and passed: the vehicle turns green)', async () => {
    const a = await lane(undefined, true);
    const plate = a.submit('51F-123.45');
    a.submit('079201004568');
    const unreadable = a.submit('not a code at all', 'wedge');
    expect(unreadable.decision).toBe('amber');
    expect(a.desk().vehicle).toMatchObject({ id: plate.scanId, decision: 'amber', passengerCount: 2 });
    const result = await a.override(unreadable.scanId!, {
      decision: 'green',
      officerId: 'CB-01',
      officerPin: '1111',
      reason: 'identity_checked',
    });
    expect(result.ok).toBe(true);
    expect(a.desk().vehicle).toMatchObject({ id: plate.scanId, decision: 'green' });
    expect(a.desk().vehicle?.passengers.map((p) => p.decision)).toEqual(['green', 'green']);
  });
});

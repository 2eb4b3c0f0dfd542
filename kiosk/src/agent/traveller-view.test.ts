// The traveller's screen follows the latest recorded scan only: an override of an older scan (from
// the desk's queue or strip) must never tell whoever stands at the gate now to pass.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSubjectText, type TravellerView } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LaneAgent, type LaneEvent } from './lane-agent.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { hashPin } from './officers.js';
import { createSubjectKeyer } from './subject-keyer.js';
import { writeOfflineLane } from '../testing/offline-lane.js';

const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const CLEAN = '079201004568';
const HOLD_MS = 3 * 60_000;

let dir: string;
let agent: LaneAgent;
let events: LaneEvent[];
let now: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'traveller-view-'));
  now = Date.now();
  writeOfflineLane(dir, {
    listKey,
    blockingStatuses: ['F0'],
    officers: [
      { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
      { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
    ],
  });
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger: pino({ level: 'silent' }),
    clock: () => now,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  const keyer = createSubjectKeyer(listKey);
  agent.store.overlayHealth([
    { key: keyer(parseSubjectText(F0)!), entry: { status: 'F0', since: null, until: null } },
  ]);
  agent.store.markSynced('health', now);
  agent.store.markSynced('whitelist', now);
  events = [];
  agent.onEvent((e) => events.push(e));
  await agent.start();
});

afterEach(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

const travellerStates = (): TravellerView['state'][] =>
  events.filter((e) => e.type === 'traveller').map((e) => (e as { data: TravellerView }).data.state);

const toGreen = {
  decision: 'green',
  officerId: 'CB-01',
  officerPin: '1111',
  reason: 'identity_checked',
} as const;

describe('the traveller screen after an override', () => {
  it('is not told "go" when an older scan is overridden while an F0 red stands at the gate', async () => {
    const a = agent.submit('not a code');
    const b = agent.submit(F0);
    expect([a.decision, b.decision]).toEqual(['amber', 'red']);
    expect(await agent.override(a.scanId!, toGreen)).toMatchObject({ ok: true });
    // The override is recorded and settles A on the desk, but the F0 person is not told to pass.
    expect(agent.desk().recent.find((i) => i.scanId === a.scanId)?.state).toBe('overridden');
    expect(travellerStates()).toEqual(['see_officer', 'see_officer']);
  });

  it('shows "go" when the latest scan is overridden to green (an F0 red with a supervisor too)', async () => {
    const a = agent.submit('not a code');
    expect(await agent.override(a.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(travellerStates()).toEqual(['see_officer', 'go']);
    now += 1000;
    const b = agent.submit(F0);
    now += 60_000;
    const cleared = await agent.override(b.scanId!, {
      ...toGreen,
      reason: 'medical_emergency',
      supervisorId: 'GS-01',
      supervisorPin: '9999',
    });
    expect(cleared).toMatchObject({ ok: true });
    expect(travellerStates()).toEqual(['see_officer', 'go', 'see_officer', 'go']);
    // And back to red on the same, still latest, scan.
    expect(
      await agent.override(b.scanId!, { ...toGreen, decision: 'red', reason: 'identity_checked' }),
    ).toMatchObject({ ok: true });
    expect(travellerStates().at(-1)).toBe('see_officer');
  });

  it('leaves the screen alone once the hold has passed, or after a newer scan or a repeat', async () => {
    const a = agent.submit('not a code');
    now += HOLD_MS + 1;
    expect(await agent.override(a.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(travellerStates()).toEqual(['see_officer']);
    // A newer green scan, then an override of the amber before it: nothing for the traveller.
    const c = agent.submit('another bad code');
    now += 30_000;
    agent.submit(CLEAN);
    expect(await agent.override(c.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(travellerStates()).toEqual(['see_officer', 'see_officer', 'go']);
    // D, then C's code again within the repeat window (not recorded): D is no longer on the screen.
    now += 60_000;
    const d = agent.submit('yet another bad code');
    const repeat = agent.submit('yet another bad code');
    expect(repeat.scanId).toBeNull();
    now += 1000;
    const e = agent.submit('fourth bad code');
    agent.submit('fourth bad code');
    expect(await agent.override(e.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(await agent.override(d.scanId!, toGreen)).toMatchObject({ ok: true });
    expect(travellerStates()).toEqual([
      'see_officer',
      'see_officer',
      'go',
      'see_officer',
      'see_officer',
      'see_officer',
      'see_officer',
    ]);
  });
});

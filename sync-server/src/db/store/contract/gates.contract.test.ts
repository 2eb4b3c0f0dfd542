// Gate reports and gate alerts (issue 17) on both engines: the kiosks store keeps each lane's last
// heartbeat `gate` report and raises `gate_fault` (one open alert per lane and fault until it
// clears; a fault back within 10 minutes of its alert clearing reopens that alert, counted in
// `flaps`) and `gate_red` (the reds count of an unattended lane rose; a lower count is a restart);
// the scans store reads them back like every alert, with no scan and no subject.
import type { GateFault, GateReport } from '@checkpoint-lane/shared';
import { expect, it, vi } from 'vitest';
import { PgScansStore } from '../../pg/stores/pg-scans.js';
import { GATE_FAULT_FLAP_MS } from '../../repositories/gate-alerts.js';
import type { HeartbeatFacts } from '../../repositories/kiosks-repository.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import { openSqliteStore } from '../sqlite-store.js';
import type { ScansStore } from '../store.js';
import { addCheckpoint, addKiosk, laneStores, secondLaneServer, sql, warmUp } from './lane-stores.testkit.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 });

const scansOf = (d: EngineDb): ScansStore =>
  d.engine === 'sqlite'
    ? openSqliteStore(d.db, { indexKey: Buffer.alloc(32, 7), clock: () => 0 }).scans
    : new PgScansStore(d.pool, null);

function report(p: { unattended?: boolean; faults?: GateFault[]; reds?: number } = {}): GateReport {
  const faults = p.faults ?? [];
  return {
    unattended: p.unattended ?? true,
    relay: 'serial:/dev/ttyUSB0',
    state: faults.length > 0 ? 'fault' : 'idle',
    faults,
    counts: {
      opens: 3,
      shuts: 4,
      reds: p.reds ?? 0,
      ambers: 1,
      repeats: 0,
      faults: faults.length,
      writeFailures: 0,
      unlocks: 0,
    },
  };
}

const beat = (gate?: GateReport): HeartbeatFacts => ({
  health: 1,
  whitelist: 1,
  backlog: 0,
  devices: [{ name: 'relay', kind: 'relay', status: 'ok' }],
  clockSkewMs: 0,
  ...(gate !== undefined && { gate }),
});

async function lanes(d: EngineDb): Promise<void> {
  await addCheckpoint(d, 'MALL');
  await addCheckpoint(d, 'OTHER');
  await addKiosk(d, 'g1', 'MALL');
  await addKiosk(d, 'g2', 'MALL');
  await addKiosk(d, 'o1', 'OTHER');
}

describeEngines('Gate reports and alerts', ({ open }) => {
  it('keeps the last gate report per lane, and forgets it when a heartbeat has none', async () => {
    const d = await open();
    await lanes(d);
    const { kiosks } = laneStores(d);
    const r = report({ reds: 2 });
    expect(await kiosks.heartbeat('g1', beat(r), 10)).toMatchObject({ hadGate: false });
    expect((await kiosks.get('g1'))?.gate).toEqual(r);
    expect((await kiosks.list()).find((k) => k.id === 'g1')?.gate).toEqual(r);
    expect((await kiosks.get('g2'))?.gate).toBeUndefined();
    expect(await kiosks.heartbeat('g1', beat(r), 20)).toMatchObject({ hadGate: true, raised: [] });
    expect(await kiosks.heartbeat('g1', beat(), 30)).toEqual({
      raised: [],
      cleared: [],
      reopened: [],
      hadGate: true,
    });
    expect((await kiosks.get('g1'))?.gate).toBeUndefined();
    expect(await kiosks.heartbeat('g1', beat(), 40)).toEqual({
      raised: [],
      cleared: [],
      reopened: [],
      hadGate: false,
    });
    // An unknown lane: nothing stored, nothing raised.
    expect(await kiosks.heartbeat('nope', beat(r), 50)).toEqual({
      raised: [],
      cleared: [],
      reopened: [],
      hadGate: false,
    });
    expect(await sql(d, 'SELECT count(*) AS n FROM alerts')).toEqual([{ n: 1 }]);
  });

  it('raises one gate_fault per lane and fault until the fault clears, then again if it returns', async () => {
    const d = await open();
    await lanes(d);
    const { kiosks } = laneStores(d);
    const scans = scansOf(d);

    const first = await kiosks.heartbeat('g1', beat(report({ faults: ['relay_lost'] })), 100);
    expect(first.raised).toHaveLength(1);
    const relay = first.raised[0]!;
    // Held: no second alert, on this lane; the other lane's own fault is its own alert.
    expect((await kiosks.heartbeat('g1', beat(report({ faults: ['relay_lost'] })), 110)).raised).toEqual([]);
    expect((await kiosks.heartbeat('g2', beat(report({ faults: ['relay_lost'] })), 110)).raised).toHaveLength(
      1,
    );
    const both = await kiosks.heartbeat('g1', beat(report({ faults: ['relay_lost', 'scanner_lost'] })), 120);
    expect(both.raised).toHaveLength(1);
    expect(both.cleared).toEqual([]);
    const scanner = both.raised[0]!;

    const a = await scans.alert(relay);
    expect(a).toMatchObject({
      id: relay,
      kind: 'gate_fault',
      at: 100,
      receivedAt: 100,
      kioskId: 'g1',
      kioskName: 'Lane g1',
      checkpointId: 'MALL',
      scanId: null,
      subjectKey: null,
      subjectMasked: null,
      status: null,
      raisedBy: 'server',
      record: null,
      issues: [],
      outcome: { state: 'none', decision: 'amber' },
      gate: {
        kioskId: 'g1',
        kioskName: 'Lane g1',
        checkpointId: 'MALL',
        state: 'fault',
        fault: 'relay_lost',
        faults: ['relay_lost'],
        clearedAt: null,
      },
    });
    expect(JSON.stringify(a)).not.toMatch(/subject"\s*:\s*"/);
    // Never came back: no `flaps`.
    expect(a?.gate).not.toHaveProperty('flaps');

    // The relay comes back: its alert clears; the scanner's stays open.
    const back = await kiosks.heartbeat('g1', beat(report({ faults: ['scanner_lost'] })), 130);
    expect(back).toEqual({ raised: [], cleared: [relay], reopened: [], hadGate: true });
    expect((await scans.alert(relay))?.gate?.clearedAt).toBe(130);
    expect((await scans.alert(scanner))?.gate?.clearedAt).toBeNull();
    // It is lost again more than 10 minutes later: a new alert.
    const later = 130 + GATE_FAULT_FLAP_MS + 1;
    const again = await kiosks.heartbeat(
      'g1',
      beat(report({ faults: ['relay_lost', 'scanner_lost'] })),
      later,
    );
    expect(again).toMatchObject({ reopened: [], cleared: [] });
    expect(again.raised).toHaveLength(1);
    expect(again.raised[0]).not.toBe(relay);
    // The lane stops reporting a gate: every open fault alert of it clears.
    const gone = await kiosks.heartbeat('g1', beat(), later + 10);
    expect([...gone.cleared].sort((x, y) => x - y)).toEqual(
      [scanner, again.raised[0]!].sort((x, y) => x - y),
    );
    expect(gone.raised).toEqual([]);

    const listed = await scans.alerts({ limit: 50, kind: 'gate_fault', checkpointId: 'MALL' });
    expect(listed.map((x) => [x.kioskId, x.gate?.fault, x.gate?.clearedAt])).toEqual([
      ['g1', 'relay_lost', later + 10],
      ['g1', 'scanner_lost', later + 10],
      ['g2', 'relay_lost', null],
      ['g1', 'relay_lost', 130],
    ]);
    expect(await scans.alerts({ limit: 50, checkpointId: 'OTHER' })).toEqual([]);
    // Acknowledged like any alert.
    const acked = await scans.ack(relay, 200, 'lan');
    expect(acked).toMatchObject({ acked: true, alert: { ackedAt: 200, ackedBy: 'lan', kind: 'gate_fault' } });
  });

  it('a flapping fault reopens its alert (flaps counted) until it stays cleared for more than 10 minutes', async () => {
    const d = await open();
    await lanes(d);
    const { kiosks } = laneStores(d);
    const scans = scansOf(d);
    const lost = beat(report({ faults: ['relay_lost'] }));
    const fine = beat(report());
    const MIN = 60_000;

    // A USB-serial relay dropping every 20 s, 20 times: one alert, reopened 19 times.
    let t = 1_000_000;
    const first = await kiosks.heartbeat('g1', lost, t);
    expect(first.raised).toHaveLength(1);
    const id = first.raised[0]!;
    expect(await kiosks.heartbeat('g1', fine, t + 10_000)).toEqual({
      raised: [],
      cleared: [id],
      reopened: [],
      hadGate: true,
    });
    for (let i = 1; i < 20; i++) {
      t += 20_000;
      expect(await kiosks.heartbeat('g1', lost, t)).toEqual({
        raised: [],
        cleared: [],
        reopened: [id],
        hadGate: true,
      });
      // Held: no second reopening.
      expect(await kiosks.heartbeat('g1', lost, t + 5_000)).toMatchObject({ raised: [], reopened: [] });
      expect((await kiosks.heartbeat('g1', fine, t + 10_000)).cleared).toEqual([id]);
    }
    expect(await sql(d, "SELECT count(*) AS n FROM alerts WHERE kind = 'gate_fault'")).toEqual([{ n: 1 }]);
    const flapped = await scans.alert(id);
    expect(flapped).toMatchObject({ id, at: 1_000_000, ackedAt: null });
    expect(flapped?.gate).toMatchObject({ fault: 'relay_lost', flaps: 19, clearedAt: t + 10_000 });
    const [listed] = await scans.alerts({ limit: 5, kind: 'gate_fault' });
    expect(listed?.gate?.flaps).toBe(19);

    // Another fault of the lane, or the same fault at another lane, is its own alert.
    const other = await kiosks.heartbeat('g1', beat(report({ faults: ['scanner_lost'] })), t + 11_000);
    expect(other).toMatchObject({ reopened: [] });
    expect(other.raised).toHaveLength(1);
    const g2 = await kiosks.heartbeat('g2', lost, t + 11_000);
    expect(g2).toMatchObject({ reopened: [] });
    expect(g2.raised).toHaveLength(1);
    await kiosks.heartbeat('g1', fine, t + 12_000);

    // A supervisor acknowledges it; it flaps at once: it stays acknowledged (no nagging).
    const cleared = t + 12_000;
    expect(await scans.ack(id, cleared + MIN, 'sup')).toMatchObject({ acked: true });
    expect(await kiosks.heartbeat('g1', lost, cleared + 2 * MIN)).toMatchObject({
      reopened: [id],
      raised: [],
    });
    expect(await scans.alert(id)).toMatchObject({
      ackedAt: cleared + MIN,
      ackedBy: 'sup',
      gate: { flaps: 20 },
    });
    expect((await kiosks.heartbeat('g1', fine, cleared + 3 * MIN)).cleared).toEqual([id]);
    // It flaps again 9 minutes later, 11 minutes after the acknowledgement: unacknowledged again.
    expect(await kiosks.heartbeat('g1', lost, cleared + 12 * MIN)).toMatchObject({
      reopened: [id],
      raised: [],
    });
    expect(await scans.alert(id)).toMatchObject({
      ackedAt: null,
      ackedBy: null,
      gate: { flaps: 21, clearedAt: null },
    });
    expect((await scans.alerts({ limit: 10, unacked: true })).map((a) => a.id)).toContain(id);

    // Cleared for 11 minutes, the fault returns: a new alert; the old one stays as it was.
    const end = cleared + 13 * MIN;
    expect((await kiosks.heartbeat('g1', fine, end)).cleared).toEqual([id]);
    const fresh = await kiosks.heartbeat('g1', lost, end + 11 * MIN);
    expect(fresh).toMatchObject({ reopened: [], cleared: [] });
    expect(fresh.raised).toHaveLength(1);
    const next = fresh.raised[0]!;
    expect(next).not.toBe(id);
    expect((await scans.alert(id))?.gate).toMatchObject({ flaps: 21, clearedAt: end });
    expect((await scans.alert(next))?.gate).toMatchObject({ fault: 'relay_lost', clearedAt: null });
    expect((await scans.alert(next))?.gate).not.toHaveProperty('flaps');
    // Back exactly 10 minutes after clearing still counts as a flap (of the newest alert).
    await kiosks.heartbeat('g1', fine, end + 12 * MIN);
    expect(await kiosks.heartbeat('g1', lost, end + 22 * MIN)).toMatchObject({
      reopened: [next],
      raised: [],
    });
    expect((await scans.alert(next))?.gate?.flaps).toBe(1);
  });

  it('raises gate_red when an unattended lane’s reds rose; a lower count is a restart', async () => {
    const d = await open();
    await lanes(d);
    const { kiosks } = laneStores(d);
    const scans = scansOf(d);
    const redsOf = async (ids: readonly number[]) =>
      Promise.all(ids.map(async (id) => (await scans.alert(id))?.gate));

    expect((await kiosks.heartbeat('g1', beat(report({ reds: 0 })), 10)).raised).toEqual([]);
    const two = await kiosks.heartbeat('g1', beat(report({ reds: 2 })), 20);
    expect(await redsOf(two.raised)).toEqual([
      { kioskId: 'g1', kioskName: 'Lane g1', checkpointId: 'MALL', state: 'idle', reds: 2, redsTotal: 2 },
    ]);
    expect((await kiosks.heartbeat('g1', beat(report({ reds: 2 })), 30)).raised).toEqual([]);
    const five = await kiosks.heartbeat('g1', beat(report({ reds: 5 })), 40);
    expect((await redsOf(five.raised)).map((g) => [g?.reds, g?.redsTotal])).toEqual([[3, 5]]);
    // Restarted (counts from zero again) with one red since.
    const restart = await kiosks.heartbeat('g1', beat(report({ reds: 1 })), 50);
    expect((await redsOf(restart.raised)).map((g) => [g?.reds, g?.redsTotal])).toEqual([[1, 1]]);
    expect((await kiosks.heartbeat('g1', beat(report({ reds: 0 })), 60)).raised).toEqual([]);
    // A lane with an officer (not unattended) raises none: its officer sees its reds.
    expect((await kiosks.heartbeat('g2', beat(report({ unattended: false, reds: 0 })), 10)).raised).toEqual(
      [],
    );
    expect((await kiosks.heartbeat('g2', beat(report({ unattended: false, reds: 9 })), 20)).raised).toEqual(
      [],
    );
    // A first report already holding reds: they are new to the centre.
    const first = await kiosks.heartbeat('o1', beat(report({ reds: 4 })), 20);
    expect((await redsOf(first.raised)).map((g) => g?.reds)).toEqual([4]);

    const reds = await scans.alerts({ limit: 10, kind: 'gate_red' });
    expect(reds.map((a) => [a.kioskId, a.gate?.reds, a.outcome.decision, a.scanId])).toEqual([
      ['o1', 4, 'red', null],
      ['g1', 1, 'red', null],
      ['g1', 3, 'red', null],
      ['g1', 2, 'red', null],
    ]);
  });

  it('two servers hearing one fault at once raise one alert', async ({ skip }) => {
    const d = await open();
    if (d.engine === 'sqlite') skip('one SQLite connection: no two servers');
    await lanes(d);
    const a = laneStores(d);
    const second = await secondLaneServer(d);
    try {
      await warmUp([a, second.stores]);
      const r = report({ faults: ['display_lost'] });
      const results = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => a.kiosks.heartbeat('g1', beat(r), 100 + i)),
        ...Array.from({ length: 4 }, (_, i) => second.stores.kiosks.heartbeat('g1', beat(r), 100 + i)),
      ]);
      expect(results.flatMap((x) => x.raised)).toHaveLength(1);
      expect(await sql(d, "SELECT count(*) AS n FROM alerts WHERE kind = 'gate_fault'")).toEqual([{ n: 1 }]);
    } finally {
      await second.close();
    }
  });
});

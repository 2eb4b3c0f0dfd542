import type { ListRefusalReport } from '@checkpoint-lane/shared';
import { expect, it, vi } from 'vitest';
import { withPgTransaction } from '../../pg/pg-tx.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import {
  addCheckpoint,
  addKiosk,
  addOfficer,
  auditRows,
  countRows,
  laneStores,
  secondLaneServer,
  sql,
  warmUp,
} from './lane-stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

const report: ListRefusalReport = { count: 2, lastReason: 'bad_signature', lastList: 'health', lastAt: 4 };

/** One roster change as an officer write makes it: every officer renamed `v<n>` and the version set to n. */
async function renameAll(d: EngineDb, n: number): Promise<void> {
  if (d.engine === 'sqlite') {
    d.db.transaction(() => {
      d.db.prepare('UPDATE officers SET name = ?').run(`v${String(n)}`);
      d.db.prepare('UPDATE officer_roster SET version = ? WHERE id = 1').run(n);
    })();
    return;
  }
  await withPgTransaction(d.pool, async (client) => {
    await client.query('UPDATE officers SET name = $1', [`v${String(n)}`]);
    await client.query('UPDATE officer_roster SET version = $1 WHERE id = 1', [n]);
  });
}

describeEngines('LaneStore (lanes: refusals, enrollment, roster)', ({ open }) => {
  it('enrolls with a code once, audits kiosk.enroll, and writes nothing for a bad code', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    const { lane, kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('code-1', 'A', 0, 100);
    await kiosks.addEnrollmentCode('code-old', 'A', 0, 10);
    const l1 = { id: 'k1', name: 'Lane 1', tokenHash: 't1' };
    expect(await lane.enroll('code-1', l1, 20)).toEqual({ checkpointId: 'A' });
    expect(await lane.enroll('code-1', { id: 'k2', name: 'Lane 2', tokenHash: 't2' }, 21)).toBeNull();
    expect(await lane.enroll('code-old', { id: 'k3', name: 'Lane 3', tokenHash: 't3' }, 20)).toBeNull();
    expect(await lane.enroll('nope', { id: 'k4', name: 'Lane 4', tokenHash: 't4' }, 20)).toBeNull();
    expect(await kiosks.findByTokenHash('t1')).toEqual({
      id: 'k1',
      checkpointId: 'A',
      tokenHash: 't1',
      revoked: false,
    });
    expect(await countRows(d, 'kiosks')).toBe(1);
    expect(await auditRows(d)).toEqual([
      { at: 20, actor: 'kiosk:k1', action: 'kiosk.enroll', target: 'A', details: { name: 'Lane 1' } },
    ]);
  });

  it('rolls the code back when the lane cannot be stored (a token hash in use)', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k0', 'A', 'taken');
    const { lane, kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('code-1', 'A', 0, 100);
    await expect(lane.enroll('code-1', { id: 'k1', name: 'L', tokenHash: 'taken' }, 20)).rejects.toThrow();
    expect(await sql(d, 'SELECT used_at FROM enrollment_codes')).toEqual([{ used_at: null }]);
    expect(await auditRows(d)).toEqual([]);
    expect(await lane.enroll('code-1', { id: 'k1', name: 'L', tokenHash: 'fresh' }, 21)).toEqual({
      checkpointId: 'A',
    });
  });

  it('one code raced by two servers enrolls one lane with one audit record', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      await one.kiosks.addEnrollmentCode('code-race', 'A', 0, 1_000);
      await warmUp([one, two.stores]);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).lane.enroll(
            'code-race',
            { id: `k${String(i)}`, name: `Lane ${String(i)}`, tokenHash: `t${String(i)}` },
            10,
          ),
        ),
      );
      expect(results.filter((r) => r !== null)).toEqual([{ checkpointId: 'A' }]);
      expect(await countRows(d, 'kiosks')).toBe(1);
      expect((await auditRows(d)).map((r) => r.action)).toEqual(['kiosk.enroll']);
    } finally {
      await two.close();
    }
  });

  it('stores a lane’s refusal report and audits it once per change', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k1', 'A');
    const { lane, kiosks } = laneStores(d);
    expect(await lane.listRefusals('k1', report, 10)).toBe(true);
    expect(await lane.listRefusals('k1', report, 11)).toBe(false);
    expect(await lane.listRefusals('k1', { ...report }, 12)).toBe(false);
    const keyStatement: ListRefusalReport = { count: 3, lastReason: 'bad_key_statement', lastAt: 9 };
    expect(await lane.listRefusals('k1', keyStatement, 13)).toBe(true);
    expect(await lane.listRefusals('k1', report, 14)).toBe(true);
    expect((await kiosks.get('k1'))?.listRefusals).toEqual(report);
    expect(await auditRows(d)).toEqual([
      {
        at: 10,
        actor: 'kiosk:k1',
        action: 'lane.list_refused',
        target: 'health',
        details: { reason: 'bad_signature', count: 2 },
      },
      {
        at: 13,
        actor: 'kiosk:k1',
        action: 'lane.list_refused',
        target: 'signing-keys',
        details: { reason: 'bad_key_statement', count: 3 },
      },
      {
        at: 14,
        actor: 'kiosk:k1',
        action: 'lane.list_refused',
        target: 'health',
        details: { reason: 'bad_signature', count: 2 },
      },
    ]);
  });

  it('one report sent through two servers at once is audited once', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k1', 'A');
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      await warmUp([one, two.stores]);
      const changed = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).lane.listRefusals('k1', report, 10 + i),
        ),
      );
      expect(changed.filter((c) => c)).toHaveLength(1);
      expect(await countRows(d, 'audit_log')).toBe(1);
    } finally {
      await two.close();
    }
  });

  it('gives a checkpoint’s lanes the roster version and its active officers, by id', async () => {
    const d = await open();
    for (const cp of ['A', 'B']) await addCheckpoint(d, cp);
    const { lane } = laneStores(d);
    expect(await lane.roster('A')).toEqual({ version: 0, officers: [] });
    await addOfficer(d, { id: 'o-b', checkpoints: ['B'] });
    await addOfficer(d, { id: 'o-ab', role: 'supervisor', checkpoints: ['A', 'B'] });
    await addOfficer(d, { id: 'o-all', checkpoints: null });
    await addOfficer(d, { id: 'O-off', checkpoints: null, disabledAt: 5 });
    await addOfficer(d, { id: 'O-1', checkpoints: ['A'] });
    await addOfficer(d, { id: 'o-AB', checkpoints: ['AB'] });
    await sql(d, 'UPDATE officer_roster SET version = 6 WHERE id = 1');
    const officer = (id: string, role = 'officer') => ({
      id,
      name: `Officer ${id}`,
      role,
      pinHash: `scrypt$c2FsdA==$${id}`,
    });
    expect(await lane.roster('A')).toEqual({
      version: 6,
      officers: [officer('O-1'), officer('o-ab', 'supervisor'), officer('o-all')],
    });
    expect(await lane.roster('B')).toEqual({
      version: 6,
      officers: [officer('o-ab', 'supervisor'), officer('o-all'), officer('o-b')],
    });
    expect(await lane.roster('Z')).toEqual({ version: 6, officers: [officer('o-all')] });
    expect(await lane.roster('Z\0')).toEqual({ version: 6, officers: [officer('o-all')] });
  });

  it('reads the version and the officers of that version while another server changes the roster', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    for (const id of ['o1', 'o2', 'o3']) await addOfficer(d, { id });
    await renameAll(d, 0);
    const reader = await secondLaneServer(d);
    try {
      let n = 0;
      const state = { stop: false };
      const writer = (async () => {
        while (!state.stop) await renameAll(d, ++n);
      })();
      const seen: { version: number; names: string[] }[] = [];
      try {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            for (let i = 0; i < 40; i++) {
              const r = await reader.stores.lane.roster('A');
              seen.push({ version: r.version, names: r.officers.map((o) => o.name ?? '') });
            }
          }),
        );
      } finally {
        state.stop = true;
        await writer;
      }
      const torn = seen.filter((r) => r.names.some((name) => name !== `v${String(r.version)}`));
      expect(torn).toEqual([]);
      expect(seen.every((r) => r.names.length === 3)).toBe(true);
    } finally {
      await reader.close();
    }
  });
});

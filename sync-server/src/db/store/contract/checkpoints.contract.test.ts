import type { CheckpointConfig } from '@checkpoint-lane/shared';
import { expect, it, vi } from 'vitest';
import { describeEngines } from '../engines.testkit.js';
import { leafStores, secondServer } from './stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

const cp = (id: string, over: Partial<CheckpointConfig> = {}): CheckpointConfig => ({
  id,
  name: `Checkpoint ${id}`,
  mode: 'closed',
  freshnessBudgetSec: 3600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 60,
  ...over,
});

describeEngines('CheckpointsStore', ({ open }) => {
  it('keeps vehicle mode: named in the config only when on, turned off again by an update', async () => {
    const { checkpoints } = leafStores(await open());
    await checkpoints.upsert(cp('HCM-V', { vehicleMode: true }), 10);
    expect(await checkpoints.get('HCM-V')).toEqual(cp('HCM-V', { vehicleMode: true }));
    expect((await checkpoints.list()).find((c) => c.id === 'HCM-V')?.vehicleMode).toBe(true);
    await checkpoints.upsert(cp('HCM-V'), 20);
    const off = await checkpoints.get('HCM-V');
    expect(off).toEqual(cp('HCM-V'));
    expect(off).not.toHaveProperty('vehicleMode');
  });

  it('upsert creates then updates, and reads back the config as given', async () => {
    const { checkpoints } = leafStores(await open());
    expect(await checkpoints.get('HN-01')).toBeNull();
    expect(await checkpoints.view('HN-01')).toBeNull();
    expect(await checkpoints.upsert(cp('HN-01', { blockingStatuses: ['F1', 'F0', 'deceased'] }), 10)).toBe(
      true,
    );
    expect(await checkpoints.get('HN-01')).toEqual(
      cp('HN-01', { blockingStatuses: ['F1', 'F0', 'deceased'] }),
    );
    expect(
      await checkpoints.upsert(
        cp('HN-01', { name: 'Renamed', mode: 'open', blockingStatuses: [], repeatWindowSec: 0 }),
        20,
      ),
    ).toBe(false);
    expect(await checkpoints.get('HN-01')).toEqual(
      cp('HN-01', { name: 'Renamed', mode: 'open', blockingStatuses: [], repeatWindowSec: 0 }),
    );
    expect(await checkpoints.view('HN-01')).toMatchObject({ name: 'Renamed', keyScope: 'fleet' });
  });

  it('lists by id in byte order (as SQLite sorts)', async () => {
    const { checkpoints } = leafStores(await open());
    for (const id of ['b', 'B-2', 'a_1', 'A', 'a-1', 'Z']) await checkpoints.upsert(cp(id), 1);
    const order = ['A', 'B-2', 'Z', 'a-1', 'a_1', 'b'];
    expect((await checkpoints.list()).map((c) => c.id)).toEqual(order);
    expect((await checkpoints.views()).map((c) => c.id)).toEqual(order);
    expect((await checkpoints.views()).every((v) => v.keyScope === 'fleet')).toBe(true);
  });

  it('save audits create and update with the config and key scope as details', async () => {
    const { checkpoints, audit } = leafStores(await open());
    expect(await checkpoints.save(cp('HN-01'), 100, 'lan')).toBe(true);
    expect(await checkpoints.save(cp('HN-01', { name: 'Two' }), 200, 'minh', 'north')).toBe(false);
    const records = await audit.list({ limit: 10 });
    expect(records).toMatchObject([
      {
        at: 200,
        actor: 'minh',
        action: 'checkpoint.update',
        target: 'HN-01',
        details: { ...cp('HN-01', { name: 'Two' }), keyScope: 'north' },
      },
      {
        at: 100,
        actor: 'lan',
        action: 'checkpoint.create',
        target: 'HN-01',
        details: { ...cp('HN-01'), keyScope: 'fleet' },
      },
    ]);
    expect(records[0]?.details).toEqual({ ...cp('HN-01', { name: 'Two' }), keyScope: 'north' });
  });

  it('save: an unset key scope keeps the stored one, fleet is no scope, a new checkpoint may get one', async () => {
    const { checkpoints, audit } = leafStores(await open());
    await checkpoints.save(cp('A'), 1, 'x', 'south');
    expect((await checkpoints.view('A'))?.keyScope).toBe('south');
    await checkpoints.save(cp('A', { name: 'A2' }), 2, 'x');
    expect(await checkpoints.view('A')).toMatchObject({ name: 'A2', keyScope: 'south' });
    await checkpoints.upsert(cp('A', { name: 'A3' }), 3);
    expect((await checkpoints.view('A'))?.keyScope).toBe('south');
    await checkpoints.save(cp('A'), 4, 'x', 'fleet');
    expect((await checkpoints.view('A'))?.keyScope).toBe('fleet');
    expect((await audit.list({ limit: 1 }))[0]?.details).toMatchObject({ keyScope: 'fleet' });
    await checkpoints.save(cp('B'), 5, 'x');
    expect((await checkpoints.view('B'))?.keyScope).toBe('fleet');
  });

  it('stores fleet as no scope (key_scope NULL), as the lanes and list keys read it', async () => {
    const d = await open();
    const { checkpoints } = leafStores(d);
    await checkpoints.save(cp('A'), 1, 'x', 'fleet');
    await checkpoints.save(cp('B'), 1, 'x', 'north');
    const sql = 'SELECT id, key_scope FROM checkpoints ORDER BY id';
    const rows = d.engine === 'sqlite' ? d.db.prepare(sql).all() : (await d.pool.query(sql)).rows;
    expect(rows).toEqual([
      { id: 'A', key_scope: null },
      { id: 'B', key_scope: 'north' },
    ]);
  });

  it('save of one new checkpoint from two servers at once: one create, the rest updates, one audit each', async () => {
    const d = await open();
    const one = leafStores(d);
    const two = await secondServer(d);
    try {
      const created = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).checkpoints.save(cp('RACE'), i, `a${String(i)}`),
        ),
      );
      expect(created.filter((c) => c)).toHaveLength(1);
      const records = await one.audit.list({ limit: 20 });
      expect(records.filter((r) => r.action === 'checkpoint.create')).toHaveLength(1);
      expect(records.filter((r) => r.action === 'checkpoint.update')).toHaveLength(7);
    } finally {
      await two.close();
    }
  });
});

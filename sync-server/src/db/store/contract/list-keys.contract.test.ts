import { expect, it, vi } from 'vitest';
import { DEFAULT_KEY_SCOPE } from '../../../lists/list-keys.js';
import { describeEngines } from '../engines.testkit.js';
import type { EngineDb } from '../engines.testkit.js';
import {
  addCheckpoint,
  auditRows,
  countRows,
  laneStores,
  secondLaneServer,
  sql,
  warmUp,
} from './lane-stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

/** Checkpoints CP-A (no scope), CP-B and CP-C (HCM), CP-D (`fleet` named outright). */
async function seed(d: EngineDb): Promise<void> {
  await addCheckpoint(d, 'CP-A', null);
  await addCheckpoint(d, 'CP-B', 'HCM');
  await addCheckpoint(d, 'CP-C', 'HCM');
  await addCheckpoint(d, 'CP-D', 'fleet');
}

const keyRows = (d: EngineDb, where = '') =>
  sql(d, `SELECT id, scope, created_at, retired_at, reason FROM list_keys ${where} ORDER BY id`);

describeEngines('ListKeysStore', ({ open }) => {
  it('makes a scope its key on first use, keeps it, and gives each scope its own', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d, () => 1000);
    const fleet = await keys.current(DEFAULT_KEY_SCOPE);
    expect(fleet).toMatchObject({ id: 1, scope: 'fleet' });
    expect(fleet.key.length).toBe(32);
    expect(await keys.current('fleet')).toEqual(fleet);
    const hcm = await keys.forCheckpoint('CP-B');
    expect(hcm).toMatchObject({ id: 2, scope: 'HCM' });
    expect(hcm.key.equals(fleet.key)).toBe(false);
    expect(await keys.forCheckpoint('CP-C')).toEqual(hcm);
    expect(await keys.forCheckpoint('CP-A')).toEqual(fleet);
    expect(await keys.forCheckpoint('CP-D')).toEqual(fleet);
    expect(await keys.forCheckpoint('nowhere')).toEqual(fleet);
    expect(await keyRows(d)).toEqual([
      { id: 1, scope: 'fleet', created_at: 1000, retired_at: null, reason: 'created' },
      { id: 2, scope: 'HCM', created_at: 1000, retired_at: null, reason: 'created' },
    ]);
  });

  it('makes the first key of a scope through forCheckpoint', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d, () => 5);
    const hcm = await keys.forCheckpoint('CP-C');
    expect(hcm).toMatchObject({ id: 1, scope: 'HCM' });
    expect(await keys.current('HCM')).toEqual(hcm);
  });

  it('names a checkpoint scope and lists the checkpoints in one', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d);
    expect(await keys.scopeOf('CP-A')).toBe('fleet');
    expect(await keys.scopeOf('CP-B')).toBe('HCM');
    expect(await keys.scopeOf('nowhere')).toBe('fleet');
    expect(await keys.scopeOf('CP\0')).toBe('fleet');
    expect(await keys.checkpointsIn('HCM')).toEqual(['CP-B', 'CP-C']);
    expect(await keys.checkpointsIn('fleet')).toEqual(['CP-A', 'CP-D']);
    expect(await keys.checkpointsIn('HN')).toEqual([]);
  });

  it('sorts a scope’s checkpoints in byte order', async () => {
    const d = await open();
    for (const id of ['b', 'B', 'a-1', 'A', 'a']) await addCheckpoint(d, id, 'S');
    const { listKeys: keys } = laneStores(d);
    expect(await keys.checkpointsIn('S')).toEqual(['A', 'B', 'a', 'a-1', 'b']);
    expect((await keys.scopes())[0]?.checkpoints).toEqual(['A', 'B', 'a', 'a-1', 'b']);
  });

  it('rotates one scope: the old key retired (still found by id), a new current one, other scopes untouched', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d, () => 1000);
    const fleet = await keys.current('fleet');
    const old = await keys.current('HCM');
    const next = await keys.rotate('HCM', 2000, 'revoke');
    expect(next.id).toBe(3);
    expect(next.scope).toBe('HCM');
    expect(next.key.length).toBe(32);
    expect(next.key.equals(old.key)).toBe(false);
    expect(await keys.current('HCM')).toEqual(next);
    expect(await keys.current('fleet')).toEqual(fleet);
    expect(await keys.byId(old.id)).toEqual(old);
    expect(await keys.byId(next.id)).toEqual(next);
    expect(await keys.byId(0)).toBeNull();
    expect(await keys.byId(99)).toBeNull();
    expect(await keys.byId(1.5)).toBeNull();
    expect(await keyRows(d, "WHERE scope = 'HCM'")).toEqual([
      { id: 2, scope: 'HCM', created_at: 1000, retired_at: 2000, reason: 'created' },
      { id: 3, scope: 'HCM', created_at: 2000, retired_at: null, reason: 'revoke' },
    ]);
    expect(await auditRows(d)).toEqual([]);
  });

  it('rotates a scope that has no key yet into its first key', async () => {
    const d = await open();
    const { listKeys: keys } = laneStores(d);
    expect(await keys.rotate('HN', 5, 'rotate')).toMatchObject({ id: 1, scope: 'HN' });
    expect((await keys.current('HN')).id).toBe(1);
  });

  it('writes the rotation’s audit record, made from the new key, in the same transaction', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d);
    const old = await keys.current('HCM');
    const next = await keys.rotate('HCM', 10, 'manual', (k) => ({
      at: 10,
      actor: 'alice',
      action: 'lists.rotate-key',
      target: k.scope,
      details: { keyId: k.id, reason: 'manual' },
    }));
    expect(await auditRows(d)).toEqual([
      {
        at: 10,
        actor: 'alice',
        action: 'lists.rotate-key',
        target: 'HCM',
        details: { keyId: next.id, reason: 'manual' },
      },
    ]);
    // An audit record that cannot be written (a bigint is no JSON) rolls the rotation back.
    // (called in an async function: the SQLite adapter throws at the call instead of rejecting)
    await expect(
      (async () =>
        keys.rotate('HCM', 20, 'manual', () => ({
          at: 20,
          actor: 'a',
          action: 'x',
          target: null,
          details: { n: 1n },
        })))(),
    ).rejects.toThrow();
    expect(await keys.current('HCM')).toEqual(next);
    expect(await keys.byId(old.id)).toEqual(old);
    expect(await countRows(d, 'list_keys')).toBe(2);
    expect(await countRows(d, 'audit_log')).toBe(1);
  });

  it('lists every scope with a key or a checkpoint, without key bytes and without making keys', async () => {
    const d = await open();
    await seed(d);
    const { listKeys: keys } = laneStores(d, () => 7);
    await keys.current('HCM');
    await keys.current('old');
    expect(await keys.scopes()).toEqual([
      { scope: 'HCM', keyId: 1, createdAt: 7, checkpoints: ['CP-B', 'CP-C'] },
      { scope: 'fleet', keyId: null, createdAt: null, checkpoints: ['CP-A', 'CP-D'] },
      { scope: 'old', keyId: 2, createdAt: 7, checkpoints: [] },
    ]);
    expect(await countRows(d, 'list_keys')).toBe(2);
  });

  it('lists nothing on an empty database', async () => {
    const d = await open();
    expect(await laneStores(d).listKeys.scopes()).toEqual([]);
  });

  it('refuses a second current key for a scope (the database holds at most one)', async () => {
    const d = await open();
    await laneStores(d).listKeys.current('HCM');
    const insert =
      d.engine === 'sqlite'
        ? "INSERT INTO list_keys (scope, key, created_at, reason) VALUES ('HCM', zeroblob(32), 0, 'x')"
        : "INSERT INTO list_keys (scope, key, created_at, reason) VALUES ('HCM', decode(repeat('00', 32), 'hex'), 0, 'x')";
    await expect(sql(d, insert)).rejects.toThrow(/UNIQUE|unique/);
  });

  it('two servers asking for a scope’s first key at once all get the one key that went in', async () => {
    const d = await open();
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      await warmUp([one, two.stores]);
      const keys = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? one : two.stores).listKeys.current('HCM')),
      );
      expect(await countRows(d, 'list_keys')).toBe(1);
      const [made] = await keyRows(d);
      for (const k of keys) expect(k).toMatchObject({ id: made?.id, scope: 'HCM' });
      expect(new Set(keys.map((k) => k.key.toString('hex'))).size).toBe(1);
    } finally {
      await two.close();
    }
  });

  it('two servers rotating one scope at once: both rotations happen, one after the other', async () => {
    const d = await open();
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      const first = await one.listKeys.current('HCM');
      await warmUp([one, two.stores]);
      const rotated = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).listKeys.rotate('HCM', 10 + i, 'r'),
        ),
      );
      const rows = await keyRows(d);
      expect(rows).toHaveLength(7);
      expect(rows.filter((r) => r.retired_at === null)).toHaveLength(1);
      const current = await one.listKeys.current('HCM');
      expect(rotated.map((k) => k.id)).toContain(current.id);
      expect(new Set(rotated.map((k) => k.id)).size).toBe(6);
      expect(rotated.map((k) => k.id)).not.toContain(first.id);
    } finally {
      await two.close();
    }
  });
});

import { expect, it, vi } from 'vitest';
import type { OfficerInput } from '../../repositories/officers-repository.js';
import { describeEngines } from '../engines.testkit.js';
import { leafStores, secondServer } from './stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

const officer = (id: string, over: Partial<OfficerInput> = {}): OfficerInput => ({
  id,
  name: `Officer ${id}`,
  role: 'officer',
  checkpoints: null,
  pinHash: `pin-${id}`,
  ...over,
});

describeEngines('OfficersStore', ({ open }) => {
  it('starts at roster version 0; bumpVersion advances it by one', async () => {
    const { officers } = leafStores(await open());
    expect(await officers.version()).toBe(0);
    expect(await officers.bumpVersion()).toBe(1);
    expect(await officers.bumpVersion()).toBe(2);
    expect(await officers.version()).toBe(2);
  });

  it('upsert creates, updates keeping the PIN hash when none is given, and refuses a new officer without one', async () => {
    const { officers } = leafStores(await open());
    expect(await officers.get('o1')).toBeNull();
    expect(await officers.upsert(officer('o1', { checkpoints: ['B', 'A', 'B'] }), 10)).toBe(true);
    expect(await officers.get('o1')).toEqual({
      id: 'o1',
      name: 'Officer o1',
      role: 'officer',
      pinHash: 'pin-o1',
      checkpoints: ['A', 'B'],
      disabledAt: null,
      createdAt: 10,
      updatedAt: 10,
    });
    const { pinHash: _, ...noPin } = officer('o1', {
      name: 'Renamed',
      role: 'supervisor',
      checkpoints: null,
    });
    expect(await officers.upsert(noPin, 20)).toBe(false);
    expect(await officers.get('o1')).toMatchObject({
      name: 'Renamed',
      role: 'supervisor',
      pinHash: 'pin-o1',
      checkpoints: null,
      createdAt: 10,
      updatedAt: 20,
    });
    expect(await officers.upsert(officer('o1', { pinHash: 'pin-2', checkpoints: ['Z'] }), 30)).toBe(false);
    expect(await officers.get('o1')).toMatchObject({ pinHash: 'pin-2', checkpoints: ['Z'] });
    const { pinHash: __, ...newNoPin } = officer('o2');
    await expect(officers.upsert(newNoPin, 40)).rejects.toThrow('a new officer needs a PIN hash');
    expect(await officers.get('o2')).toBeNull();
    expect(await officers.version()).toBe(0);
  });

  it('lists by id; activeAt gives the enabled officers serving a checkpoint; activeSharing the overlapping ones', async () => {
    const { officers } = leafStores(await open());
    await officers.upsert(officer('b', { checkpoints: ['HN-01', 'HN-02'] }), 1);
    await officers.upsert(officer('a', { checkpoints: null }), 1);
    await officers.upsert(officer('C', { checkpoints: ['HN-02'] }), 1);
    await officers.upsert(officer('d', { checkpoints: ['HN-010'] }), 1);
    await officers.upsert(officer('e', { checkpoints: ['HN-01'] }), 1);
    await officers.setDisabled('e', true, 2);
    expect((await officers.list()).map((o) => o.id)).toEqual(['C', 'a', 'b', 'd', 'e']);
    expect((await officers.activeAt('HN-01')).map((o) => o.id)).toEqual(['a', 'b']);
    expect((await officers.activeAt('HN-02')).map((o) => o.id)).toEqual(['C', 'a', 'b']);
    expect((await officers.activeAt('HN-0')).map((o) => o.id)).toEqual(['a']);
    expect((await officers.activeAt('elsewhere')).map((o) => o.id)).toEqual(['a']);
    expect((await officers.activeSharing('b', ['HN-02'])).map((o) => o.id).sort()).toEqual(['C', 'a']);
    expect((await officers.activeSharing('x', ['HN-01'])).map((o) => o.id).sort()).toEqual(['a', 'b']);
    expect((await officers.activeSharing('a', ['Q'])).map((o) => o.id)).toEqual([]);
    expect((await officers.activeSharing('a', null)).map((o) => o.id).sort()).toEqual(['C', 'b', 'd']);
    expect((await officers.activeSharing('z', [])).map((o) => o.id)).toEqual(['a']);
  });

  it('setDisabled answers whether it changed anything', async () => {
    const { officers } = leafStores(await open());
    await officers.upsert(officer('o'), 1);
    expect(await officers.setDisabled('o', true, 5)).toBe(true);
    expect(await officers.setDisabled('o', true, 6)).toBe(false);
    expect(await officers.get('o')).toMatchObject({ disabledAt: 5, updatedAt: 5 });
    expect(await officers.setDisabled('o', false, 7)).toBe(true);
    expect(await officers.setDisabled('o', false, 8)).toBe(false);
    expect(await officers.get('o')).toMatchObject({ disabledAt: null, updatedAt: 7 });
    expect(await officers.setDisabled('nobody', true, 9)).toBe(false);
  });

  it('save audits create and update (the PIN only as pinChanged) and advances the version', async () => {
    const { officers, audit } = leafStores(await open());
    const created = await officers.save(officer('o1', { checkpoints: ['B', 'A'] }), 10, 'lan');
    expect(created).toEqual({ officer: await officers.get('o1'), version: 1, created: true });
    expect(created.officer.checkpoints).toEqual(['A', 'B']);
    const { pinHash: _, ...noPin } = officer('o1', { name: 'N2' });
    const updated = await officers.save(noPin, 20, 'minh');
    expect(updated).toMatchObject({
      officer: { name: 'N2', pinHash: 'pin-o1', updatedAt: 20 },
      version: 2,
      created: false,
    });
    expect(await officers.version()).toBe(2);
    const records = await audit.list({ limit: 10 });
    expect(records.map((r) => [r.at, r.actor, r.action, r.target, r.details])).toEqual([
      [
        20,
        'minh',
        'officer.update',
        'o1',
        { name: 'N2', role: 'officer', checkpoints: null, pinChanged: false, version: 2 },
      ],
      [
        10,
        'lan',
        'officer.create',
        'o1',
        { name: 'Officer o1', role: 'officer', checkpoints: ['B', 'A'], pinChanged: true, version: 1 },
      ],
    ]);
    expect(JSON.stringify(records)).not.toContain('pin-o1');
    // A refused save changes nothing: no officer, no version, no record.
    const { pinHash: __, ...newNoPin } = officer('o2');
    await expect(officers.save(newNoPin, 30, 'lan')).rejects.toThrow('a new officer needs a PIN hash');
    expect(await officers.version()).toBe(2);
    expect(await audit.list({ limit: 10 })).toHaveLength(2);
  });

  it('changeDisabled audits a change with the new version; twice changes nothing; unknown officers are refused', async () => {
    const { officers, audit } = leafStores(await open());
    await officers.save(officer('o'), 1, 'lan');
    const off = await officers.changeDisabled('o', true, 5, 'minh');
    expect(off).toEqual({ ok: true, value: { officer: await officers.get('o'), version: 2, changed: true } });
    expect(off.ok && off.value.officer.disabledAt).toBe(5);
    expect(await officers.changeDisabled('o', true, 6, 'minh')).toMatchObject({
      ok: true,
      value: { officer: { disabledAt: 5 }, version: 2, changed: false },
    });
    expect(await officers.changeDisabled('o', false, 7, 'minh')).toMatchObject({
      ok: true,
      value: { officer: { disabledAt: null, updatedAt: 7 }, version: 3, changed: true },
    });
    expect(await officers.changeDisabled('ghost', true, 8, 'minh')).toEqual({
      ok: false,
      error: 'unknown_officer',
    });
    expect((await audit.list({ limit: 10 })).map((r) => [r.action, r.target, r.details])).toEqual([
      ['officer.enable', 'o', { version: 3 }],
      ['officer.disable', 'o', { version: 2 }],
      ['officer.create', 'o', expect.anything()],
    ]);
  });

  it('saves from two servers at once get versions 1..n, each once, each with its audit record', async () => {
    const d = await open();
    const one = leafStores(d);
    const two = await secondServer(d);
    try {
      const n = 12;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).officers.save(officer(`o${String(i % 4)}`), i, 'x'),
        ),
      );
      expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );
      expect(results.filter((r) => r.created)).toHaveLength(4);
      expect(await one.officers.version()).toBe(n);
      const versions = (await one.audit.list({ limit: 100 })).map(
        (r) => (r.details as { version: number }).version,
      );
      expect(versions.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    } finally {
      await two.close();
    }
  });

  it('stores checkpoint sets in the engine form: ";A;B;" on SQLite, text[] on PostgreSQL', async () => {
    const d = await open();
    await leafStores(d).officers.upsert(officer('o', { checkpoints: ['B', 'A'] }), 1);
    if (d.engine === 'sqlite') {
      expect(d.db.prepare("SELECT checkpoints FROM officers WHERE id = 'o'").pluck().get()).toBe(';A;B;');
    } else {
      const r = await d.pool.query<{ c: string[]; t: string }>(
        "SELECT checkpoints AS c, pg_typeof(checkpoints)::text AS t FROM officers WHERE id = 'o'",
      );
      expect(r.rows[0]).toEqual({ c: ['A', 'B'], t: 'text[]' });
    }
  });
});

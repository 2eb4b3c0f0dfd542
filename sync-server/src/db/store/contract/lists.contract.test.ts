// ListsStore on both engines: the cases of lists-repository.test.ts, the 410/409 edges, and the
// lane's delta with its count and subjects read at one version.
import { expect, it, vi } from 'vitest';
import { CHANGE_LOG_MAX_ROWS_PER_WRITE } from '../../../lists/list-writer.js';
import { MAX_DELTA_CHANGES } from '../../repositories/lists-repository.js';
import { describeEngines } from '../engines.testkit.js';
import { health, listStores, meta, whitelist } from './lists.testkit.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

describeEngines('ListsStore', ({ open }) => {
  const setup = async () => {
    const s = listStores(await open());
    return {
      ...s,
      writeRows: async (rows: ReturnType<typeof health>[], opts: { now: number; replace?: boolean }) =>
        (await s.writer.write('health', { rows }, meta(opts.now, { actor: 'test', ...opts }))).version,
      deleteEntry: async (key: bigint) => {
        const r = await s.writer.deleteEntry('health', key, { now: 0, actor: 'test' });
        return r.ok ? r.value.version : null;
      },
    };
  };

  it('advances the version once per write, with entries and change log in the same transaction', async () => {
    const { lists, writeRows, deleteEntry } = await setup();
    expect(await writeRows([health(1n), health(2n)], { now: 1 })).toBe(1);
    expect(await writeRows([], { now: 2 })).toBe(1);
    expect(await writeRows([health(2n, 'F1')], { now: 3 })).toBe(2);
    expect(await deleteEntry(1n)).toBe(3);
    expect(await deleteEntry(1n)).toBeNull();
    expect(await lists.changesSince('health', 1, 'CP')).toEqual({
      kind: 'ok',
      fromVersion: 1,
      toVersion: 3,
      changes: [
        { key: 1n, op: 'delete' },
        { key: 2n, op: 'put', entry: { status: 'F1', since: null, until: null } },
      ],
    });
    expect(await lists.changesSince('whitelist', 0, 'CP')).toMatchObject({ kind: 'ok', changes: [] });
  });

  it('rolls back a failed write entirely: no version, no entries, no change log', async () => {
    const { lists, writeRows, peek } = await setup();
    await writeRows([health(1n)], { now: 1 });
    const bad = { ...health(5n), status: 'F9' } as unknown as ReturnType<typeof health>;
    await expect(writeRows([health(4n), bad], { now: 2 })).rejects.toThrow(/check/i);
    expect(await lists.state('health')).toEqual({ version: 1, changesFrom: 0 });
    expect(await lists.count('health')).toBe(1);
    expect(await peek.changes()).toHaveLength(1);
  });

  it('replaces the whole list on request and logs the deletions', async () => {
    const { lists, writeRows } = await setup();
    await writeRows([health(1n), health(2n), health(3n)], { now: 1 });
    expect(await writeRows([health(2n)], { now: 2, replace: true })).toBe(2);
    expect(await lists.count('health')).toBe(1);
    const d = await lists.changesSince('health', 1, 'CP');
    expect(d.kind === 'ok' && d.changes.map((c) => [c.key, c.op])).toEqual([
      [1n, 'delete'],
      [2n, 'put'],
      [3n, 'delete'],
    ]);
  });

  it('answers gone below the retained log and ahead above the version', async () => {
    const { lists, writeRows } = await setup();
    await writeRows([health(1n)], { now: 1 });
    const big = Array.from({ length: CHANGE_LOG_MAX_ROWS_PER_WRITE + 1 }, (_, i) => health(BigInt(i + 10)));
    expect(await writeRows(big, { now: 2 })).toBe(2);
    expect(await lists.state('health')).toEqual({ version: 2, changesFrom: 2 });
    expect(await lists.changesSince('health', 1, 'CP')).toEqual({ kind: 'gone', changesFrom: 2, version: 2 });
    expect(await lists.changesSince('health', 3, 'CP')).toEqual({ kind: 'ahead', version: 2 });
    expect(await lists.changesSince('health', 2, 'CP')).toMatchObject({ kind: 'ok', changes: [] });
    // The lane's delta answers the same three ways.
    expect(await lists.changesSince('health', 0, 'CP')).toEqual({ kind: 'gone', changesFrom: 2, version: 2 });
    expect(await lists.changesSince('health', 1, 'CP')).toEqual({ kind: 'gone', changesFrom: 2, version: 2 });
  });

  it('answers gone (from the current version) when more keys changed than a delta may carry', async () => {
    const { lists, writeRows } = await setup();
    const batch = CHANGE_LOG_MAX_ROWS_PER_WRITE;
    const writes = Math.ceil((MAX_DELTA_CHANGES + 1) / batch);
    for (let w = 0; w < writes; w++) {
      const rows = Array.from({ length: batch }, (_, i) => health(BigInt(w * batch + i + 1)));
      expect(await writeRows(rows, { now: w })).toBe(w + 1);
    }
    expect(await lists.state('health')).toEqual({ version: writes, changesFrom: 0 });
    expect(await lists.changesSince('health', 0, 'CP')).toEqual({
      kind: 'gone',
      changesFrom: writes,
      version: writes,
    });
    // One write fewer fits.
    const d = await lists.changesSince('health', 1, 'CP');
    expect(d.kind === 'ok' && d.changes.length).toBe((writes - 1) * batch);
  });

  it('reads one entry back with its version and time, null when absent; counts entries', async () => {
    const { lists, writer } = await setup();
    await writer.write('whitelist', { rows: [whitelist(-7n, ['A', 'B']), whitelist(9n, null)] }, meta(5));
    expect(await lists.getEntry('whitelist', -7n)).toEqual({
      list: 'whitelist',
      ...whitelist(-7n, ['A', 'B']),
      version: 1,
      updatedAt: 5,
    });
    expect(await lists.getEntry('whitelist', 8n)).toBeNull();
    expect(await lists.getEntry('health', -7n)).toBeNull();
    // Subject keys at the ends of the signed 64-bit range.
    const ends = [-(2n ** 63n), 2n ** 63n - 1n];
    await writer.write('health', { rows: ends.map((k) => health(k, 'F2', 3)) }, meta(6));
    for (const k of ends)
      expect(await lists.getEntry('health', k)).toMatchObject({ key: k, status: 'F2', since: 3 });
    expect(await lists.count('health')).toBe(2);
    expect(await lists.count('whitelist')).toBe(2);
  });

  it('pages the version history newest first', async () => {
    const { lists, writeRows } = await setup();
    for (let i = 1; i <= 5; i++) await writeRows([health(BigInt(i))], { now: i * 10 });
    expect((await lists.history('health', { limit: 2 })).map((h) => h.version)).toEqual([5, 4]);
    expect(await lists.history('health', { limit: 2, before: 4 })).toEqual([
      { version: 3, at: 30, actor: 'test', action: 'list.import', changes: 1 },
      { version: 2, at: 20, actor: 'test', action: 'list.import', changes: 1 },
    ]);
    expect(await lists.history('whitelist', { limit: 10 })).toEqual([]);
  });

  it('gives a lane its delta, its count and the raw subjects of the changes at one version', async () => {
    const { writer, laneChanges } = await setup();
    await writer.write(
      'whitelist',
      { rows: [whitelist(1n, null), whitelist(2n, ['A']), whitelist(3n, ['B'])] },
      meta(1),
    );
    await writer.putEntry('whitelist', whitelist(3n, ['A', 'B']), { now: 2, actor: 'a' });
    await writer.deleteEntry('whitelist', 1n, { now: 3, actor: 'a' });
    const atA = await laneChanges('whitelist', 1, 'A');
    expect(atA).toEqual({
      kind: 'ok',
      fromVersion: 1,
      toVersion: 3,
      changes: [
        { key: 1n, op: 'delete' },
        {
          key: 3n,
          op: 'put',
          entry: { category: 'shipper', validFrom: 10, validUntil: null, checkpoints: ['A'] },
        },
      ],
      count: 2,
      subjects: new Map([
        [1n, whitelist(1n, null).subject],
        [3n, whitelist(3n, null).subject],
      ]),
    });
    // Valid elsewhere only: a delete for this lane.
    await writer.putEntry('whitelist', whitelist(2n, ['B']), { now: 4, actor: 'a' });
    const atA2 = await laneChanges('whitelist', 3, 'A');
    expect(atA2).toMatchObject({ kind: 'ok', changes: [{ key: 2n, op: 'delete' }], count: 1 });
    expect(await laneChanges('whitelist', 4, 'C')).toEqual({
      kind: 'ok',
      fromVersion: 4,
      toVersion: 4,
      changes: [],
      count: 0,
      subjects: new Map(),
    });
    expect(await laneChanges('whitelist', 5, 'A')).toEqual({ kind: 'ahead', version: 4 });
    expect(await laneChanges('health', 0, 'A')).toMatchObject({ kind: 'ok', count: 0, changes: [] });
  });
});

import { expect, it, vi } from 'vitest';
import { describeEngines } from '../engines.testkit.js';
import type { AuditStore } from '../store.js';
import { leafStores } from './stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

async function seed(audit: AuditStore): Promise<void> {
  const rows: [number, string, string, string | null, unknown][] = [
    [100, 'lan', 'list.import', 'health', { accepted: 3, rejected: [] }], // id 1
    [200, 'minh', 'checkpoint.create', 'HN-01', { name: 'Hà Nội 1' }], // 2
    [300, 'lan', 'session.login', 'lan', { ip: '127.0.0.1' }], // 3
    [400, 'lan', 'account.create', 'minh', null], // 4
    [500, 'minh', 'checkpoint.update', 'hn-02', 'text details'], // 5
    [600, 'lan', 'list.put', '50%_off\\x', [1, 2]], // 6
    [700, 'system', 'kiosk.revoke', null, { nested: { a: [true, null] } }], // 7
    [800, 'minh', 'checkpoint.update', 'ĐN-01', 0], // 8
  ];
  for (const [at, actor, action, target, details] of rows)
    await audit.record(at, actor, action, target, details);
}

const ids = (records: { id: number }[]): number[] => records.map((r) => r.id);

describeEngines('AuditStore', ({ open }) => {
  it('records and lists newest first with ids, details round-tripped as JSON', async () => {
    const { audit } = leafStores(await open());
    await seed(audit);
    await audit.record(900, 'x', 'y', null);
    const all = await audit.list({ limit: 100 });
    expect(ids(all)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(all[0]).toEqual({ id: 9, at: 900, actor: 'x', action: 'y', target: null, details: null });
    expect(all.find((r) => r.id === 1)?.details).toEqual({ accepted: 3, rejected: [] });
    expect(all.find((r) => r.id === 4)?.details).toBeNull();
    expect(all.find((r) => r.id === 5)?.details).toBe('text details');
    expect(all.find((r) => r.id === 6)?.details).toEqual([1, 2]);
    expect(all.find((r) => r.id === 7)?.details).toEqual({ nested: { a: [true, null] } });
    expect(all.find((r) => r.id === 8)?.details).toBe(0);
  });

  it('pages by id and limit; a negative limit is no limit, zero is none', async () => {
    const { audit } = leafStores(await open());
    await seed(audit);
    expect(ids(await audit.list({ limit: 3 }))).toEqual([8, 7, 6]);
    expect(ids(await audit.list({ limit: 3, before: 6 }))).toEqual([5, 4, 3]);
    expect(ids(await audit.list({ limit: 3, before: 2 }))).toEqual([1]);
    expect(await audit.list({ limit: 0 })).toEqual([]);
    expect(ids(await audit.list({ limit: -1 }))).toHaveLength(8);
  });

  it('filters by action, actor and time (from inclusive, to exclusive), combined', async () => {
    const { audit } = leafStores(await open());
    await seed(audit);
    expect(ids(await audit.list({ limit: 10, action: 'checkpoint.update' }))).toEqual([8, 5]);
    expect(ids(await audit.list({ limit: 10, actor: 'lan' }))).toEqual([6, 4, 3, 1]);
    expect(ids(await audit.list({ limit: 10, actor: 'LAN' }))).toEqual([]);
    expect(ids(await audit.list({ limit: 10, from: 300, to: 600 }))).toEqual([5, 4, 3]);
    expect(
      ids(await audit.list({ limit: 10, actor: 'minh', from: 200, to: 800, action: 'checkpoint.update' })),
    ).toEqual([5]);
    expect(ids(await audit.list({ limit: 1, actor: 'lan', before: 6 }))).toEqual([4]);
  });

  it('targetLike: a LIKE pattern with backslash escapes, ASCII letters in any case (as SQLite)', async () => {
    const { audit } = leafStores(await open());
    await seed(audit);
    expect(ids(await audit.list({ limit: 10, targetLike: 'hn-0%' }))).toEqual([5, 2]);
    expect(ids(await audit.list({ limit: 10, targetLike: 'HN-01' }))).toEqual([2]);
    expect(ids(await audit.list({ limit: 10, targetLike: 'h_-0_' }))).toEqual([5, 2]);
    // Escaped wildcards match themselves only.
    expect(ids(await audit.list({ limit: 10, targetLike: '50\\%\\_off%' }))).toEqual([6]);
    expect(ids(await audit.list({ limit: 10, targetLike: '50\\%\\_of' }))).toEqual([]);
    expect(ids(await audit.list({ limit: 10, targetLike: '5_\\%%' }))).toEqual([6]);
    expect(ids(await audit.list({ limit: 10, targetLike: '%\\\\x' }))).toEqual([6]);
    // Letters beyond ASCII keep their case (SQLite folds only A-Z).
    expect(ids(await audit.list({ limit: 10, targetLike: 'ĐN%' }))).toEqual([8]);
    expect(ids(await audit.list({ limit: 10, targetLike: 'đn%' }))).toEqual([]);
    expect(ids(await audit.list({ limit: 10, targetLike: 'Đn-01' }))).toEqual([8]);
    // A null target never matches; a trailing lone escape matches nothing.
    expect(ids(await audit.list({ limit: 10, targetLike: '%' }))).toEqual([8, 6, 5, 4, 3, 2, 1]);
    expect(await audit.list({ limit: 10, targetLike: 'HN\\' })).toEqual([]);
    expect(await audit.list({ limit: 10, targetLike: '%\\' })).toEqual([]);
  });

  it('withoutAccounts leaves out session.* and account.* records', async () => {
    const { audit } = leafStores(await open());
    await seed(audit);
    await audit.record(900, 'x', 'sessions.other', null);
    expect(ids(await audit.list({ limit: 10, withoutAccounts: true }))).toEqual([9, 8, 7, 6, 5, 2, 1]);
    expect(ids(await audit.list({ limit: 10, withoutAccounts: false }))).toHaveLength(9);
    expect(ids(await audit.list({ limit: 10, withoutAccounts: true, actor: 'lan' }))).toEqual([6, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import type { HealthRow } from '../../lists/list-rows.js';
import { ListWriter } from '../../lists/list-writer.js';
import { openDatabase } from '../open-database.js';
import { AuditRepository } from './audit-repository.js';
import { ListsRepository } from './lists-repository.js';

const row = (key: bigint, status: HealthRow['status'] = 'F0'): HealthRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  status,
  since: null,
  until: null,
  name: null,
  note: null,
});

/** Writes go through the one writer; these tests read back with the repository. */
function setup() {
  const db = openDatabase(':memory:');
  const writer = new ListWriter(db, new AuditRepository(db));
  const by = { actor: 'test', action: 'list.import' } as const;
  return {
    db,
    repo: new ListsRepository(db),
    writeRows: (rows: HealthRow[], opts: { now: number; replace?: boolean }): number =>
      writer.write('health', { rows }, { ...by, ...opts }).version,
    deleteEntry: (key: bigint): number | null => {
      const r = writer.deleteEntry('health', key, { now: 0, actor: 'test' });
      return r.ok ? r.value.version : null;
    },
  };
}

describe('ListsRepository', () => {
  it('advances the version once per write, with entries and change log in the same transaction', () => {
    const { repo, writeRows, deleteEntry } = setup();
    expect(writeRows([row(1n), row(2n)], { now: 1 })).toBe(1);
    expect(writeRows([], { now: 2 })).toBe(1);
    expect(writeRows([row(2n, 'F1')], { now: 3 })).toBe(2);
    expect(deleteEntry(1n)).toBe(3);
    expect(deleteEntry(1n)).toBeNull();
    const d = repo.changesSince('health', 1, 'CP');
    expect(d).toEqual({
      kind: 'ok',
      fromVersion: 1,
      toVersion: 3,
      changes: [
        { key: 1n, op: 'delete' },
        { key: 2n, op: 'put', entry: { status: 'F1', since: null, until: null } },
      ],
    });
    expect(repo.changesSince('whitelist', 0, 'CP')).toMatchObject({ kind: 'ok', changes: [] });
  });

  it('rolls back a failed write entirely: no version, no entries, no change log', () => {
    const { db, repo, writeRows } = setup();
    writeRows([row(1n)], { now: 1 });
    const bad = { ...row(5n), status: 'F9' } as unknown as HealthRow;
    expect(() => writeRows([row(4n), bad], { now: 2 })).toThrow(/CHECK/);
    expect(repo.state('health')).toEqual({ version: 1, changesFrom: 0 });
    expect(repo.count('health')).toBe(1);
    expect(db.prepare('SELECT count(*) FROM list_changes').pluck().get()).toBe(1);
  });

  it('replaces the whole list on request and logs the deletions', () => {
    const { repo, writeRows } = setup();
    writeRows([row(1n), row(2n), row(3n)], { now: 1 });
    expect(writeRows([row(2n)], { now: 2, replace: true })).toBe(2);
    expect(repo.count('health')).toBe(1);
    const d = repo.changesSince('health', 1, 'CP');
    expect(d.kind === 'ok' && d.changes.map((c) => [c.key, c.op])).toEqual([
      [1n, 'delete'],
      [2n, 'put'],
      [3n, 'delete'],
    ]);
  });

  it('answers gone below the retained log and ahead above the version', () => {
    const { repo, writeRows } = setup();
    writeRows([row(1n)], { now: 1 });
    const big = Array.from({ length: 20_001 }, (_, i) => row(BigInt(i + 10)));
    expect(writeRows(big, { now: 2 })).toBe(2);
    expect(repo.state('health')).toEqual({ version: 2, changesFrom: 2 });
    expect(repo.changesSince('health', 1, 'CP')).toEqual({ kind: 'gone', changesFrom: 2, version: 2 });
    expect(repo.changesSince('health', 3, 'CP')).toEqual({ kind: 'ahead', version: 2 });
    expect(repo.changesSince('health', 2, 'CP')).toMatchObject({ kind: 'ok', changes: [] });
  });
});

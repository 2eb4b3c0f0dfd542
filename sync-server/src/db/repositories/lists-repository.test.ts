import { describe, expect, it } from 'vitest';
import type { HealthRow } from '../../lists/list-rows.js';
import { openDatabase } from '../open-database.js';
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

describe('ListsRepository', () => {
  it('advances the version once per write, with entries and change log in the same transaction', () => {
    const db = openDatabase(':memory:');
    const repo = new ListsRepository(db);
    expect(repo.writeRows('health', [row(1n), row(2n)], { now: 1 })).toBe(1);
    expect(repo.writeRows('health', [], { now: 2 })).toBe(1);
    expect(repo.writeRows('health', [row(2n, 'F1')], { now: 3 })).toBe(2);
    expect(repo.deleteEntry('health', 1n)).toBe(3);
    expect(repo.deleteEntry('health', 1n)).toBeNull();
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
    const db = openDatabase(':memory:');
    const repo = new ListsRepository(db);
    repo.writeRows('health', [row(1n)], { now: 1 });
    const bad = { ...row(5n), status: 'F9' } as unknown as HealthRow;
    expect(() => repo.writeRows('health', [row(4n), bad], { now: 2 })).toThrow(/CHECK/);
    expect(repo.state('health')).toEqual({ version: 1, changesFrom: 0 });
    expect(repo.count('health')).toBe(1);
    expect(db.prepare('SELECT count(*) FROM list_changes').pluck().get()).toBe(1);
  });

  it('replaces the whole list on request and logs the deletions', () => {
    const db = openDatabase(':memory:');
    const repo = new ListsRepository(db);
    repo.writeRows('health', [row(1n), row(2n), row(3n)], { now: 1 });
    expect(repo.writeRows('health', [row(2n)], { now: 2, replace: true })).toBe(2);
    expect(repo.count('health')).toBe(1);
    const d = repo.changesSince('health', 1, 'CP');
    expect(d.kind === 'ok' && d.changes.map((c) => [c.key, c.op])).toEqual([
      [1n, 'delete'],
      [2n, 'put'],
      [3n, 'delete'],
    ]);
  });

  it('answers gone below the retained log and ahead above the version', () => {
    const db = openDatabase(':memory:');
    const repo = new ListsRepository(db);
    repo.writeRows('health', [row(1n)], { now: 1 });
    const big = Array.from({ length: 20_001 }, (_, i) => row(BigInt(i + 10)));
    expect(repo.writeRows('health', big, { now: 2 })).toBe(2);
    expect(repo.state('health')).toEqual({ version: 2, changesFrom: 2 });
    expect(repo.changesSince('health', 1, 'CP')).toEqual({ kind: 'gone', changesFrom: 2, version: 2 });
    expect(repo.changesSince('health', 3, 'CP')).toEqual({ kind: 'ahead', version: 2 });
    expect(repo.changesSince('health', 2, 'CP')).toMatchObject({ kind: 'ok', changes: [] });
  });
});

import { LIST_NAMES, type WhitelistEntry } from '@checkpoint-lane/shared';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from './migrate.js';
import { isValidHere, LIST_DESCRIPTORS } from './list-descriptors.js';

describe('list descriptors', () => {
  it('name each list’s real table and columns', () => {
    const db = new Database(':memory:');
    runMigrations(db);
    for (const list of LIST_NAMES) {
      const d = LIST_DESCRIPTORS[list];
      expect(d.list).toBe(list);
      const columns = (db.prepare(`PRAGMA table_info(${d.table})`).all() as { name: string }[]).map(
        (c) => c.name,
      );
      expect(columns).toEqual(['key', ...d.columns]);
    }
  });

  it('store a health entry as codes and read it back as it came', () => {
    const d = LIST_DESCRIPTORS.health;
    const wire = { status: 'deceased', since: 5, until: null } as const;
    expect(d.isWireEntry(wire)).toBe(true);
    expect(d.isWireEntry({ ...wire, since: 'yesterday' })).toBe(false);
    const lane = d.toLane(9n, wire, 'CP-1');
    expect(lane).toEqual({ key: 9n, entry: wire });
    if (lane === null) return;
    expect(d.toRow(lane)).toEqual([5, 5, null]);
    expect(d.fromRow(d.toRow(lane))).toEqual(wire);
  });

  it('store a whitelist entry with whether it is valid here, and read it back in the lane’s form', () => {
    const d = LIST_DESCRIPTORS.whitelist;
    const wire: WhitelistEntry = {
      category: 'medical',
      validFrom: null,
      validUntil: 99,
      checkpoints: ['CP-1'],
    };
    expect(d.isWireEntry(wire)).toBe(true);
    expect(d.isWireEntry({ ...wire, category: 'tourist' })).toBe(false);
    expect(d.toLane(1n, wire, 'CP-2')).toBeNull();
    const lane = d.toLane(1n, wire, 'CP-1');
    if (lane === null) throw new Error('valid here');
    expect(d.toRow(lane)).toEqual([4, null, 99, 1]);
    // The lane keeps no checkpoint names: valid here reads back as null, not valid as [].
    expect(d.fromRow(d.toRow(lane))).toEqual({ ...wire, checkpoints: null });
    expect(d.fromRow(d.toRow({ ...lane, validHere: false })).checkpoints).toEqual([]);
  });

  it('isValidHere: everywhere (null) or named', () => {
    expect(isValidHere({ checkpoints: null }, 'CP-1')).toBe(true);
    expect(isValidHere({ checkpoints: ['CP-1'] }, 'CP-1')).toBe(true);
    expect(isValidHere({ checkpoints: [] }, 'CP-1')).toBe(false);
  });
});

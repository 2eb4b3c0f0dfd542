import { describe, expect, it } from 'vitest';
import { AuditRepository } from '../db/repositories/audit-repository.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { ListCounts } from './list-counts.js';
import type { HealthRow, WhitelistRow } from './list-rows.js';
import { ListWriter } from './list-writer.js';

const health = (key: bigint): HealthRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  status: 'F0',
  since: null,
  until: null,
  name: null,
  note: null,
});

const whitelist = (key: bigint, checkpoints: string[] | null): WhitelistRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  category: 'shipper',
  validFrom: null,
  validUntil: null,
  checkpoints,
  name: null,
  note: null,
});

const by = { now: 1, actor: 'alice' };

/** The entries a lane at `cp` holds, counted from the table (what list_counts must agree with). */
function real(db: Db, list: 'health' | 'whitelist', cp: string): number {
  return list === 'health'
    ? (db.prepare('SELECT count(*) FROM health_entries').pluck().get() as number)
    : (db
        .prepare(
          `SELECT count(*) FROM whitelist_entries WHERE checkpoints IS NULL OR instr(checkpoints, ';' || ? || ';') > 0`,
        )
        .pluck()
        .get(cp) as number);
}

function setup() {
  const db = openDatabase(':memory:');
  return { db, writer: new ListWriter(db, new AuditRepository(db)), counts: new ListCounts(db) };
}

describe('ListCounts kept by the list writer', () => {
  it('follows every kind of write of the health list', () => {
    const { db, writer, counts } = setup();
    const agree = () => {
      expect(counts.laneCount('health', 'X')).toBe(real(db, 'health', 'X'));
    };
    writer.write('health', { rows: [health(1n), health(2n), health(3n)] }, { ...by, action: 'list.import' });
    agree();
    writer.putEntry('health', health(2n), by); // an update: no new entry
    writer.putEntry('health', health(4n), by);
    agree();
    expect(counts.laneCount('health', 'X')).toBe(4);
    expect(writer.deleteEntry('health', 1n, by).ok).toBe(true);
    expect(writer.deleteEntry('health', 1n, by).ok).toBe(false);
    agree();
    // Repeated keys in one write count once.
    writer.write('health', { rows: [health(9n), health(9n)] }, { ...by, action: 'list.import' });
    agree();
    const staging = writer.stage('health');
    try {
      staging.add([
        { line: 2, row: health(3n) },
        { line: 3, row: health(5n) },
      ]);
      writer.write('health', { staging }, { ...by, action: 'list.import', replace: true });
    } finally {
      staging.drop();
    }
    agree();
    expect(counts.laneCount('health', 'X')).toBe(2);
  });

  it('counts whitelist entries per checkpoint: everywhere, here, moved, deleted, replaced', () => {
    const { db, writer, counts } = setup();
    const agree = () => {
      for (const cp of ['A', 'B', 'C'])
        expect(counts.laneCount('whitelist', cp)).toBe(real(db, 'whitelist', cp));
    };
    writer.write(
      'whitelist',
      { rows: [whitelist(1n, null), whitelist(2n, ['A', 'B']), whitelist(3n, ['B']), whitelist(4n, [])] },
      { ...by, action: 'list.import' },
    );
    agree();
    expect([counts.laneCount('whitelist', 'A'), counts.laneCount('whitelist', 'B')]).toEqual([2, 3]);
    writer.putEntry('whitelist', whitelist(2n, ['C']), by);
    writer.putEntry('whitelist', whitelist(1n, ['A']), by);
    agree();
    writer.deleteEntry('whitelist', 3n, by);
    agree();
    const staging = writer.stage('whitelist');
    try {
      staging.add([{ line: 2, row: whitelist(7n, ['B', 'C']) }]);
      writer.write('whitelist', { staging }, { ...by, action: 'list.import', replace: true });
    } finally {
      staging.drop();
    }
    agree();
    expect(counts.laneCount('whitelist', 'A')).toBe(0);
  });

  it('is put right by what a snapshot build found, only at the version it was built at', () => {
    const { db, writer, counts } = setup();
    writer.write(
      'whitelist',
      { rows: [whitelist(1n, null), whitelist(2n, ['A'])] },
      { ...by, action: 'list.import' },
    );
    db.prepare("UPDATE list_counts SET n = 99 WHERE list = 'whitelist' AND scope = 'A'").run();
    expect(counts.correct('whitelist', 0, 'A', { everywhere: 1, here: 1 })).toBe(false); // not the current version
    expect(counts.laneCount('whitelist', 'A')).toBe(100);
    expect(counts.correct('whitelist', 1, 'A', { everywhere: 1, here: 1 })).toBe(true);
    expect(counts.laneCount('whitelist', 'A')).toBe(2);
    expect(counts.correct('whitelist', 1, 'A', { everywhere: 1, here: 1 })).toBe(false);
  });
});

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration010 } from './010-passes.js';

const DECLARATION = `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id,
  full_name, phone, from_province, to_province, purpose, travel_date, valid_from, valid_until)
  VALUES (@id, @passId, @keyId, 1, 42, '001099012345', 'A', '0900000000', 1, 79, 'work', '2021-09-18', 10, 20)`;

describe('migration 010-passes', () => {
  it('adds pass keys (one current, ids 1..255), the directory version at 0, and declarations', () => {
    const db = new Database(':memory:');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration010.version),
    );
    db.exec(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'done', 1)`,
    );
    runMigrations(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(10);
    // What was there stays.
    expect(db.prepare("SELECT id FROM traces WHERE id = 't1'").pluck().get()).toBe('t1');
    expect(db.prepare('SELECT version FROM pass_state').all()).toEqual([{ version: 0 }]);

    const key = db.prepare(
      `INSERT INTO pass_keys (key_id, public_key, private_key, valid_from, valid_until, created_at)
       VALUES (?, 'pub', 'priv', 0, ?, 0)`,
    );
    key.run(1, null);
    expect(() => key.run(2, null)).toThrow(/UNIQUE/);
    key.run(2, 100);
    expect(() => key.run(0, 100)).toThrow(/CHECK/);
    expect(() => key.run(256, 100)).toThrow(/CHECK/);
    expect(() => db.exec('INSERT INTO pass_state (id, version) VALUES (2, 0)')).toThrow(/CHECK/);

    const declare = db.prepare(DECLARATION);
    declare.run({ id: 'aaaaaaaaaaaaaaaa', passId: 'aaaaaaaaaaaaaaaa', keyId: 1 });
    // A declaration held by the health list: no pass, no key.
    declare.run({ id: 'bbbbbbbbbbbbbbbb', passId: null, keyId: null });
    expect(() => declare.run({ id: 'cccccccccccccccc', passId: 'cccccccccccccccc', keyId: null })).toThrow(
      /CHECK/,
    );
    expect(() => declare.run({ id: 'dddddddddddddddd', passId: 'aaaaaaaaaaaaaaaa', keyId: 1 })).toThrow(
      /UNIQUE/,
    );
    expect(() => declare.run({ id: 'short', passId: null, keyId: null })).toThrow(/CHECK/);
    // Arrivals by destination read through their own index.
    const plan = (
      db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT id FROM declarations WHERE to_province = 79 AND to_district IS NULL AND valid_from >= 0',
        )
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('; ');
    expect(plan).toMatch(/declarations_arrivals/);
    db.close();
  });
});

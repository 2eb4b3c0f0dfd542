import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, schemaVersion } from '../migrate.js';
import { migration001 } from './001-initial.js';

describe('migration 001-initial', () => {
  it('creates every table and seeds both list counters at version 0', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001]);
    expect(schemaVersion(db)).toBe(1);
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'alerts',
        'audit_log',
        'checkpoints',
        'enrollment_codes',
        'health_entries',
        'kiosks',
        'list_changes',
        'list_state',
        'overrides',
        'scans',
        'settings',
        'whitelist_entries',
      ]),
    );
    expect(db.prepare('SELECT list, version, changes_from FROM list_state ORDER BY list').all()).toEqual([
      { list: 'health', version: 0, changes_from: 0 },
      { list: 'whitelist', version: 0, changes_from: 0 },
    ]);
  });

  it('rejects values outside the domain enums and keeps 64-bit subject keys exact', () => {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    runMigrations(db, [migration001]);
    const insert = db.prepare(
      'INSERT INTO health_entries (subject_key, subject, status, version, updated_at) VALUES (?, ?, ?, 1, 0)',
    );
    expect(() => insert.run(1n, 'personal_id:001099012345', 'F9')).toThrow(/CHECK constraint/);
    insert.run(-9223372036854775808n, 'personal_id:001099012345', 'F0');
    insert.run(9223372036854775807n, 'personal_id:001099012346', 'F1');
    expect(db.prepare('SELECT subject_key FROM health_entries ORDER BY subject_key').pluck().all()).toEqual([
      -9223372036854775808n,
      9223372036854775807n,
    ]);
  });

  it('is not run twice and refuses a database from a newer server', () => {
    const db = new Database(':memory:');
    expect(runMigrations(db, [migration001])).toBe(1);
    expect(runMigrations(db, [migration001])).toBe(1);
    db.pragma('user_version = 7');
    expect(() => runMigrations(db, [migration001])).toThrow(/newer than this server/);
  });

  it('enforces foreign keys from kiosks to checkpoints when they are on', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    runMigrations(db, [migration001]);
    expect(() =>
      db
        .prepare(
          "INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'n', 'nope', 'h', 0)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });
});

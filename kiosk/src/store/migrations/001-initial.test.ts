import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, schemaVersion } from '../migrate.js';
import { migration001 } from './001-initial.js';

describe('lane store migration 001-initial', () => {
  it('creates the tables and starts both lists at version 0, never synced', () => {
    const db = new Database(':memory:');
    expect(runMigrations(db, [migration001])).toBe(1);
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    )
      .map((r) => r.name)
      .filter((n) => !n.startsWith('sqlite_'));
    expect(tables).toEqual(['health_entries', 'list_state', 'outbox', 'settings', 'whitelist_entries']);
    expect(db.prepare('SELECT list, version, synced_at FROM list_state ORDER BY list').all()).toEqual([
      { list: 'health', version: 0, synced_at: null },
      { list: 'whitelist', version: 0, synced_at: null },
    ]);
  });

  it('keeps 64-bit keys exact and rejects out-of-range codes', () => {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    runMigrations(db, [migration001]);
    const key = -(2n ** 63n) + 5n;
    db.prepare('INSERT INTO health_entries (key, status, since, until) VALUES (?, 0, NULL, NULL)').run(key);
    expect(db.prepare('SELECT key FROM health_entries').get()).toEqual({ key });
    expect(() => db.prepare('INSERT INTO health_entries (key, status) VALUES (1, 9)').run()).toThrow(/CHECK/);
    expect(() =>
      db.prepare('INSERT INTO whitelist_entries (key, category, valid_here) VALUES (1, 0, 2)').run(),
    ).toThrow(/CHECK/);
  });

  it('never reuses an outbox sequence number after rows are pruned', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001]);
    const insert = db.prepare("INSERT INTO outbox (id, at, record) VALUES (?, 0, '{}')");
    insert.run('a');
    insert.run('b');
    db.exec('DELETE FROM outbox');
    expect(insert.run('c').lastInsertRowid).toBe(3);
  });

  it('is idempotent and refuses a newer store', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001]);
    expect(runMigrations(db, [migration001])).toBe(1);
    db.pragma('user_version = 7');
    expect(() => runMigrations(db, [migration001])).toThrow(/newer than this agent/);
    expect(schemaVersion(db)).toBe(7);
  });
});

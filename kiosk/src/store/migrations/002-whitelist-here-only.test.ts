import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-whitelist-here-only.js';

describe('lane store migration 002-whitelist-here-only', () => {
  it('drops whitelist entries of other checkpoints, keeps the rest and the version', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001]);
    db.exec(`
      INSERT INTO whitelist_entries (key, category, valid_here) VALUES (1, 0, 1), (2, 0, 0), (3, 2, 1);
      UPDATE list_state SET version = 9, synced_at = 5 WHERE list = 'whitelist';
      INSERT INTO outbox (id, at, record) VALUES ('a', 0, '{}');
    `);
    expect(runMigrations(db, [migration001, migration002])).toBe(2);
    expect(db.prepare('SELECT key FROM whitelist_entries ORDER BY key').pluck().all()).toEqual([1, 3]);
    expect(db.prepare("SELECT version FROM list_state WHERE list = 'whitelist'").pluck().get()).toBe(9);
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
  });
});

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-whitelist-here-only.js';
import { migration003 } from './003-list-keys.js';

describe('lane store migration 003-list-keys', () => {
  it('records key 0 for the lists an existing lane holds, keeping their entries and versions', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001, migration002]);
    db.exec(`
      INSERT INTO health_entries (key, status) VALUES (7, 0);
      UPDATE list_state SET version = 4, synced_at = 9 WHERE list = 'health';
    `);
    expect(runMigrations(db, [migration001, migration002, migration003])).toBe(3);
    expect(db.prepare('SELECT list, version, synced_at, key_id FROM list_state ORDER BY list').all()).toEqual(
      [
        { list: 'health', version: 4, synced_at: 9, key_id: 0 },
        { list: 'whitelist', version: 0, synced_at: null, key_id: 0 },
      ],
    );
    expect(db.prepare('SELECT key FROM health_entries').pluck().all()).toEqual([7]);
    expect(() => db.prepare("UPDATE list_state SET key_id = -1 WHERE list = 'health'").run()).toThrow(
      /CHECK/,
    );
  });
});

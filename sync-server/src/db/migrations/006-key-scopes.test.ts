import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration006 } from './006-key-scopes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cl-mig006-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('migration 006-key-scopes', () => {
  it('adds key scopes and list keys, and empties the change log (old rows have no subject)', () => {
    const db = new Database(join(dir, 'server.db'));
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration006.version),
    );
    db.exec(`
      INSERT INTO checkpoints VALUES ('CP-1', 'A', 'open', 3600, '["F0"]', 0, 0, 0);
      UPDATE list_state SET version = 7, changes_from = 2 WHERE list = 'health';
      UPDATE list_state SET version = 3, changes_from = 0 WHERE list = 'whitelist';
      INSERT INTO list_changes (list, version, subject_key) VALUES ('health', 5, 11), ('health', 7, 12), ('whitelist', 3, 13);
    `);
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version <= migration006.version),
    );
    expect(schemaVersion(db)).toBe(6);
    expect(db.prepare('SELECT count(*) FROM list_changes').pluck().get()).toBe(0);
    expect(db.prepare('SELECT list, version, changes_from FROM list_state ORDER BY list').all()).toEqual([
      { list: 'health', version: 7, changes_from: 7 },
      { list: 'whitelist', version: 3, changes_from: 3 },
    ]);
    expect(db.prepare("SELECT key_scope FROM checkpoints WHERE id = 'CP-1'").pluck().get()).toBeNull();
    db.prepare(
      "INSERT INTO list_changes (list, version, subject_key, subject) VALUES ('health', 8, 1, 'cccd:1')",
    ).run();
    expect(db.prepare('SELECT subject FROM list_changes').pluck().get()).toBe('cccd:1');
    const key = db.prepare(
      "INSERT INTO list_keys (scope, key, created_at, retired_at, reason) VALUES (?, ?, 0, ?, 'created')",
    );
    expect(Number(key.run('fleet', Buffer.alloc(32, 1), null).lastInsertRowid)).toBe(1);
    // One unretired key per scope; retired ones beside it.
    expect(() => key.run('fleet', Buffer.alloc(32, 2), null)).toThrow(/UNIQUE/);
    expect(Number(key.run('fleet', Buffer.alloc(32, 3), 5).lastInsertRowid)).toBe(2);
    expect(Number(key.run('HCM', Buffer.alloc(32, 4), null).lastInsertRowid)).toBe(3);
    // AUTOINCREMENT: the id of a deleted last key is not given again.
    db.prepare('DELETE FROM list_keys WHERE id = 3').run();
    expect(Number(key.run('HN', Buffer.alloc(32, 5), null).lastInsertRowid)).toBe(4);
    expect(() => key.run('HN', Buffer.alloc(16), null)).toThrow(/CHECK/);
    db.close();
  });
});

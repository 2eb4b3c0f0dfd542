import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-whitelist-here-only.js';
import { migration003 } from './003-list-keys.js';
import { migration004 } from './004-outbox-health-status.js';
import { migration005 } from './005-open-vehicle.js';
import { migration006 } from './006-pass-directory.js';

const BEFORE = [migration001, migration002, migration003, migration004, migration005];
const KEY = 'A'.repeat(43);

describe('lane store migration 006-pass-directory', () => {
  it('adds empty pass directory tables, keeping the outbox and the open vehicle as they were', () => {
    const db = new Database(':memory:');
    runMigrations(db, BEFORE);
    db.prepare("INSERT INTO outbox (id, at, record) VALUES ('a', 1, '{}')").run();
    db.prepare(
      "INSERT INTO open_vehicle (slot, vehicle_id, opened_at, green_lane) VALUES (1, 'v', 2, 1)",
    ).run();
    expect(runMigrations(db, [...BEFORE, migration006])).toBe(6);
    for (const table of ['pass_directory', 'pass_keys', 'pass_revocations'])
      expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(0);
    expect(db.prepare('SELECT id, at, record FROM outbox').all()).toEqual([{ id: 'a', at: 1, record: '{}' }]);
    expect(db.prepare('SELECT vehicle_id FROM open_vehicle').pluck().get()).toBe('v');
  });

  it('holds one state row, key ids 1..255 with a 32-byte key, and revocations by 16 hex digits only', () => {
    const db = new Database(':memory:');
    runMigrations(db, [...BEFORE, migration006]);
    const state = db.prepare('INSERT INTO pass_directory (slot, version, synced_at) VALUES (?, ?, ?)');
    state.run(1, 3, 5);
    expect(() => state.run(2, 3, 5)).toThrow(/CHECK/);
    expect(() => state.run(1, 4, 5)).toThrow(/UNIQUE|PRIMARY/);
    const key = db.prepare(
      'INSERT INTO pass_keys (key_id, public_key, valid_from, valid_until) VALUES (?, ?, ?, ?)',
    );
    key.run(1, KEY, 0, null);
    key.run(255, KEY, 0, 10);
    expect(() => key.run(0, KEY, 0, null)).toThrow(/CHECK/);
    expect(() => key.run(256, KEY, 0, null)).toThrow(/CHECK/);
    expect(() => key.run(2, 'short', 0, null)).toThrow(/CHECK/);
    const revoked = db.prepare('INSERT INTO pass_revocations (pass_id, until) VALUES (?, ?)');
    revoked.run('0123456789abcdef', 9);
    expect(() => revoked.run('0123456789ABCDEF', 9)).toThrow(/CHECK/);
    expect(() => revoked.run('0123456789abcde', 9)).toThrow(/CHECK/);
    expect(() => revoked.run('0123456789abcdeg', 9)).toThrow(/CHECK/);
  });
});

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-whitelist-here-only.js';
import { migration003 } from './003-list-keys.js';
import { migration004 } from './004-outbox-health-status.js';
import { migration005 } from './005-open-vehicle.js';

describe('lane store migration 005-open-vehicle', () => {
  it('adds an empty one-row table for the open vehicle, keeping the outbox as it was', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001, migration002, migration003, migration004]);
    db.prepare("INSERT INTO outbox (id, at, record) VALUES ('a', 1, '{}')").run();
    expect(runMigrations(db, [migration001, migration002, migration003, migration004, migration005])).toBe(5);
    expect(db.prepare('SELECT count(*) FROM open_vehicle').pluck().get()).toBe(0);
    expect(db.prepare('SELECT id, at, record FROM outbox').all()).toEqual([{ id: 'a', at: 1, record: '{}' }]);
    const put = db.prepare(
      'INSERT INTO open_vehicle (slot, vehicle_id, opened_at, green_lane) VALUES (?, ?, ?, ?)',
    );
    put.run(1, 'v', 5, 0);
    // One vehicle at most; the flag is 0 or 1.
    expect(() => put.run(2, 'w', 5, 0)).toThrow(/CHECK/);
    expect(() => put.run(1, 'w', 5, 0)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare('UPDATE open_vehicle SET green_lane = 2').run()).toThrow(/CHECK/);
  });
});

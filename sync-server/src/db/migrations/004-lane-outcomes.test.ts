import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, schemaVersion } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-admin-console.js';
import { migration003 } from './003-officers.js';
import { migration004 } from './004-lane-outcomes.js';

const BEFORE = [migration001, migration002, migration003];
const ALL = [...BEFORE, migration004];

/** A version-3 database with a lane, two scans, an override and two alerts (one acknowledged). */
function version3Database(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  runMigrations(db, BEFORE);
  db.exec(`
    INSERT INTO checkpoints VALUES ('CP-1', 'A', 'open', 3600, '["F0"]', 0, 0, 0);
    INSERT INTO kiosks (no, id, name, checkpoint_id, token_hash, enrolled_at) VALUES (1, 'k1', 'L1', 'CP-1', 'h', 0);
    INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings, alert)
      VALUES (1, 1, 's1', 'CP-1', 5, 0, 'stdin', 'red', '["health_blocked"]', '[]', 1),
             (1, 2, 's2', 'CP-1', 9, 0, 'stdin', 'red', '["health_blocked"]', '[]', 1);
    INSERT INTO overrides (kiosk_no, seq, id, scan_id, at, received_at, original_decision, decision, officer_id,
        supervisor_id, reason, note) VALUES (1, 3, 'o1', 's1', 10, 0, 'red', 'green', 'a', 'b', 'checked', '');
    INSERT INTO alerts (at, received_at, kiosk_id, checkpoint_id, scan_id, subject_key, raised_by, acked_at, acked_by)
      VALUES (5, 0, 'k1', 'CP-1', 's1', 42, 'lane', 100, 'lan'),
             (9, 0, 'k1', 'CP-1', 's2', NULL, 'server', NULL, NULL);
  `);
  return db;
}

const insertAlert = (db: Database.Database, kind: string, scanId: string, recordId: string | null) =>
  db
    .prepare(
      `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id)
       VALUES (?, 0, 0, 'k1', 'CP-1', ?, ?)`,
    )
    .run(kind, scanId, recordId);

describe('migration 004-lane-outcomes', () => {
  it('keeps alerts (ids, acknowledgements) as health alerts and marks old overrides unchecked', () => {
    const db = version3Database();
    runMigrations(db, ALL);
    expect(schemaVersion(db)).toBe(4);
    expect(
      db.prepare('SELECT id, kind, scan_id, subject_key, raised_by, acked_by, record_id FROM alerts').all(),
    ).toEqual([
      {
        id: 1,
        kind: 'health',
        scan_id: 's1',
        subject_key: 42,
        raised_by: 'lane',
        acked_by: 'lan',
        record_id: null,
      },
      {
        id: 2,
        kind: 'health',
        scan_id: 's2',
        subject_key: null,
        raised_by: 'server',
        acked_by: null,
        record_id: null,
      },
    ]);
    expect(db.prepare('SELECT id, verified, issues FROM overrides').all()).toEqual([
      { id: 'o1', verified: null, issues: '["unchecked"]' },
    ]);
    // AUTOINCREMENT continues after the rebuild: a new alert never reuses an old id.
    expect(Number(insertAlert(db, 'override', 's1', 'o1').lastInsertRowid)).toBe(3);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('allows one health alert per scan and one alert per record, beside each other', () => {
    const db = version3Database();
    runMigrations(db, ALL);
    expect(() => insertAlert(db, 'health', 's1', null)).toThrow(/UNIQUE/);
    insertAlert(db, 'override', 's1', 'o1');
    expect(() => insertAlert(db, 'override', 's1', 'o1')).toThrow(/UNIQUE/);
    insertAlert(db, 'override', 's1', 'o2');
    expect(() => insertAlert(db, 'panic', 's1', 'o3')).toThrow(/CHECK/);
    expect(db.prepare("SELECT count(*) FROM alerts WHERE scan_id = 's1'").pluck().get()).toBe(3);
  });

  it('stores acknowledgements once per (lane, seq) and id', () => {
    const db = version3Database();
    runMigrations(db, ALL);
    const ack = db.prepare(
      `INSERT INTO acks (kiosk_no, seq, id, scan_id, at, received_at, decision, note, verified, issues)
       VALUES (1, ?, ?, 's2', 0, 0, 'red', '', ?, NULL)`,
    );
    ack.run(4, 'a1', 1);
    expect(() => ack.run(4, 'a2', 1)).toThrow(/UNIQUE/);
    expect(() => ack.run(5, 'a1', 1)).toThrow(/UNIQUE/);
    expect(() => ack.run(6, 'a3', 2)).toThrow(/CHECK/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO acks (kiosk_no, seq, id, scan_id, at, received_at, decision, note) VALUES (9, 1, 'x', 's', 0, 0, 'red', '')`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });
});

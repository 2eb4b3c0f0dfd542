import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, schemaVersion } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-admin-console.js';

/** A version-1 database holding a checkpoint, a lane, three scans and some audited list writes. */
function version1Database(): Database.Database {
  const db = new Database(':memory:');
  runMigrations(db, [migration001]);
  db.exec(`
    INSERT INTO checkpoints VALUES ('CP-1', 'A', 'open', 3600, '["F0"]', 0, 0, 0);
    INSERT INTO kiosks (no, id, name, checkpoint_id, token_hash, enrolled_at) VALUES (1, 'k1', 'L1', 'CP-1', 'h', 0);
    INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings, alert)
      VALUES (1, 1, 's1', 'CP-1', 3600000 + 5, 0, 'stdin', 'green', '[]', '[]', 0),
             (1, 2, 's2', 'CP-1', 3600000 + 9, 0, 'stdin', 'green', '[]', '[]', 0),
             (1, 3, 's3', 'CP-1', 7200000 + 1, 0, 'stdin', 'red', '[]', '[]', 1);
    INSERT INTO alerts (at, received_at, kiosk_id, checkpoint_id, scan_id) VALUES (7200001, 0, 'k1', 'CP-1', 's3');
    INSERT INTO audit_log (at, actor, action, target, details) VALUES
      (10, 'admin@127.0.0.1', 'list.import', 'health', '{"version":1,"accepted":40,"rejected":0,"applied":true}'),
      (11, 'admin@127.0.0.1', 'list.import', 'health', '{"version":1,"accepted":0,"rejected":2,"applied":false}'),
      (12, 'admin@127.0.0.1', 'list.put', 'health:cccd:001090000001', '{"version":2,"status":"F0"}'),
      (13, 'admin@127.0.0.1', 'list.delete', 'whitelist:plate:51F12345', '{"version":1}'),
      (14, 'admin@127.0.0.1', 'checkpoint.create', 'CP-1', '{}');
  `);
  return db;
}

describe('migration 002-admin-console', () => {
  it('adds accounts, sessions and alert acknowledgement, keeping existing alerts', () => {
    const db = version1Database();
    runMigrations(db, [migration001, migration002]);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT scan_id, acked_at, acked_by FROM alerts').all()).toEqual([
      { scan_id: 's3', acked_at: null, acked_by: null },
    ]);
    db.prepare(
      `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at)
       VALUES ('lan', 'Lan', 'admin', 'x', 0, 0)`,
    ).run();
    // Usernames are unique regardless of case; roles are only admin and viewer.
    expect(() =>
      db
        .prepare(
          `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at)
           VALUES ('LAN', 'Lan 2', 'viewer', 'x', 0, 0)`,
        )
        .run(),
    ).toThrow(/UNIQUE/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at)
           VALUES ('minh', 'Minh', 'root', 'x', 0, 0)`,
        )
        .run(),
    ).toThrow(/CHECK/);
  });

  it('back-fills list history from applied list writes in the audit log', () => {
    const db = version1Database();
    runMigrations(db, [migration001, migration002]);
    expect(
      db.prepare('SELECT list, version, at, action, changes FROM list_versions ORDER BY list, version').all(),
    ).toEqual([
      { list: 'health', version: 1, at: 10, action: 'list.import', changes: 40 },
      { list: 'health', version: 2, at: 12, action: 'list.put', changes: 1 },
      { list: 'whitelist', version: 1, at: 13, action: 'list.delete', changes: 1 },
    ]);
  });

  it('back-fills the hourly scan roll-up by checkpoint, hour and decision', () => {
    const db = version1Database();
    runMigrations(db, [migration001, migration002]);
    expect(
      db
        .prepare('SELECT checkpoint_id, hour, decision, count FROM scan_hourly ORDER BY hour, decision')
        .all(),
    ).toEqual([
      { checkpoint_id: 'CP-1', hour: 3600000, decision: 'green', count: 2 },
      { checkpoint_id: 'CP-1', hour: 7200000, decision: 'red', count: 1 },
    ]);
  });
});

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration011 } from './011-replay-arrivals.js';

const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');

describe('migration 011-replay-arrivals', () => {
  it('adds checkpoint locations, scans.pass_id, replay pairs on alerts and account provinces', () => {
    const db = new Database(':memory:');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration011.version),
    );
    db.exec(`INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
      created_at, updated_at) VALUES ('CP', 'CP', 'open', 60, '[]', 5, 0, 0)`);
    runMigrations(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(11);
    // What was there stays, with no location.
    expect(db.prepare("SELECT lat, lon FROM checkpoints WHERE id = 'CP'").get()).toEqual({
      lat: null,
      lon: null,
    });

    const locate = db.prepare("UPDATE checkpoints SET lat = ?, lon = ? WHERE id = 'CP'");
    locate.run(21.0285, 105.8542);
    expect(() => locate.run(91, 0)).toThrow(/CHECK/);
    expect(() => locate.run(0, 181)).toThrow(/CHECK/);
    expect(() => locate.run(10, null)).toThrow(/CHECK/);
    expect(() => locate.run(null, 10)).toThrow(/CHECK/);
    locate.run(null, null);

    db.exec(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0)`,
    );
    const scan =
      db.prepare(`INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision,
      reasons, warnings, alert, pass_id) VALUES (1, ?, ?, 'CP', 1, 1, 'stdin', 'green', '[]', '[]', 0, ?)`);
    scan.run(1, 's1', '0123456789abcdef');
    scan.run(2, 's2', null);
    expect(() => scan.run(3, 's3', 'short')).toThrow(/CHECK/);
    expect(
      plan(db, "SELECT id FROM scans WHERE pass_id IN ('0123456789abcdef') AND at BETWEEN 0 AND 9"),
    ).toMatch(/scans_pass_at/);

    // One replay alert per pair of passages.
    const alert = db.prepare(`INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id,
      related_scan_id, raised_by, details) VALUES ('replay', 1, 1, 'k', 'CP', ?, ?, 'server', '{}')`);
    alert.run('s2', 's1');
    expect(() => alert.run('s2', 's1')).toThrow(/UNIQUE/);
    alert.run('s2', 's3');

    db.exec(`INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at, province)
      VALUES ('a', 'A', 'viewer', 'x', 0, 0, 79)`);
    expect(() =>
      db.exec(`INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at, province)
        VALUES ('b', 'B', 'viewer', 'x', 0, 0, 100)`),
    ).toThrow(/CHECK/);
    db.close();
  });
});

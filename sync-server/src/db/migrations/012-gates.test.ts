import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration012 } from './012-gates.js';

describe('migration 012-gates', () => {
  it('keeps every alert and its id, admits gate alerts without a scan, one open fault per lane', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration012.version),
    );
    db.exec(`INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
      created_at, updated_at) VALUES ('CP', 'CP', 'open', 60, '[]', 5, 0, 0)`);
    db.exec(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0)`,
    );
    const old =
      db.prepare(`INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by,
      acked_at, acked_by) VALUES ('health', 1, 2, 'k', 'CP', ?, 'lane', ?, ?)`);
    old.run('s1', null, null);
    old.run('s2', 5, 'lan');
    db.exec(`INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, related_scan_id, raised_by,
      details) VALUES ('replay', 1, 1, 'k', 'CP', 's2', 's1', 'server', '{"x":1}')`);
    // A deleted newest alert: AUTOINCREMENT must not give its id again.
    old.run('s9', null, null);
    db.exec("DELETE FROM alerts WHERE scan_id = 's9'");
    const before = db.prepare('SELECT * FROM alerts ORDER BY id').all();

    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version <= migration012.version),
    );
    expect(schemaVersion(db)).toBe(12);
    expect(
      db
        .prepare(
          'SELECT id, kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key, raised_by, issues, acked_at, acked_by, related_scan_id, details FROM alerts ORDER BY id',
        )
        .all(),
    ).toEqual(before);
    expect(db.prepare('SELECT fault, cleared_at FROM alerts').all()).toEqual(
      before.map(() => ({ fault: null, cleared_at: null })),
    );

    const gate =
      db.prepare(`INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by,
      details, fault, cleared_at) VALUES (?, 9, 9, 'k', 'CP', ?, 'server', '{}', ?, ?)`);
    const id = Number(gate.run('gate_fault', null, 'relay_lost', null).lastInsertRowid);
    expect(id).toBe(5);
    // One open alert per lane and fault: a second is refused (the repository inserts "or ignore").
    expect(() => gate.run('gate_fault', null, 'relay_lost', null)).toThrow(/UNIQUE/);
    gate.run('gate_fault', null, 'scanner_lost', null);
    db.prepare('UPDATE alerts SET cleared_at = 10 WHERE id = ?').run(id);
    gate.run('gate_fault', null, 'relay_lost', null);
    gate.run('gate_red', null, null, null);
    // Gate alerts name no scan and other kinds always do; a fault only on gate_fault.
    expect(() => gate.run('gate_red', 's1', null, null)).toThrow(/CHECK/);
    expect(() => gate.run('gate_fault', null, null, null)).toThrow(/CHECK/);
    expect(() => gate.run('gate_red', null, 'relay_lost', null)).toThrow(/CHECK/);
    expect(() => gate.run('gate_red', null, null, 5)).toThrow(/CHECK/);
    expect(() => gate.run('health', null, null, null)).toThrow(/CHECK/);
    expect(() => gate.run('bogus', null, null, null)).toThrow(/CHECK/);
    // The indexes are back.
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL ORDER BY name",
      )
      .pluck()
      .all();
    expect(indexes).toEqual([
      'alerts_gate_fault_open',
      'alerts_health_scan',
      'alerts_record',
      'alerts_replay_pair',
      'alerts_scan',
      'alerts_subject_held_at',
    ]);
    expect(() => old.run('s1', null, null)).toThrow(/UNIQUE/);

    db.prepare("UPDATE kiosks SET gate = ? WHERE id = 'k'").run('{"state":"idle"}');
    expect(db.prepare("SELECT gate FROM kiosks WHERE id = 'k'").pluck().get()).toBe('{"state":"idle"}');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});

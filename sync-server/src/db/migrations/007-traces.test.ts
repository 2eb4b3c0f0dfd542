import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration007 } from './007-traces.js';

describe('migration 007-traces', () => {
  it('adds scans.vehicle_id to existing scans, the traces tables, and cascades a trace deletion', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration007.version),
    );
    db.exec(`
      INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
        VALUES ('CP', 'A', 'open', 3600, '["F0"]', 0, 0, 0);
      INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k1', 'L1', 'CP', 'h', 0);
      INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
        subject_sealed, decision, reasons, warnings, alert)
        VALUES (1, 1, 'a', 'CP', 5, 5, 'stdin', NULL, 42, 'sealed', 'green', '[]', '[]', 0);
    `);
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version <= migration007.version),
    );
    expect(schemaVersion(db)).toBe(7);
    expect(db.prepare('SELECT vehicle_id FROM scans').pluck().get()).toBeNull();
    db.prepare('UPDATE scans SET vehicle_id = ?').run('v-1');
    // The vehicle and retention indexes answer their queries.
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan("SELECT id FROM scans WHERE vehicle_id = 'v-1'")).toMatch(/scans_vehicle/);
    expect(
      plan('SELECT no FROM scans WHERE at < 10 AND (subject_key IS NOT NULL OR subject_sealed IS NOT NULL)'),
    ).toMatch(/scans_subject_held_at/);

    db.prepare(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'running', 1)`,
    ).run();
    expect(() =>
      db
        .prepare(
          `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t2', 1, 'x', '{}', 'lost', 1)`,
        )
        .run(),
    ).toThrow(/CHECK/);
    const contact = db.prepare(
      `INSERT INTO trace_contacts (trace_id, subject_key, subject_sealed, format, hop, via, evidence, evidence_count, first_at)
       VALUES (?, ?, NULL, NULL, ?, 'lane', '[]', 0, 0)`,
    );
    contact.run('t1', -9_000_000_000_000_000_000n, 1);
    expect(() => contact.run('t1', -9_000_000_000_000_000_000n, 2)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => contact.run('t1', 7, 3)).toThrow(/CHECK/);
    expect(() => contact.run('nope', 8, 1)).toThrow(/FOREIGN KEY/);
    db.prepare(
      "INSERT INTO trace_subjects (trace_id, subject_key, subject_sealed) VALUES ('t1', 1, 's')",
    ).run();
    db.prepare("DELETE FROM traces WHERE id = 't1'").run();
    expect(db.prepare('SELECT count(*) FROM trace_contacts').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM trace_subjects').pluck().get()).toBe(0);
    db.close();
  });
});

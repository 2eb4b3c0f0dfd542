import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration013 } from './013-gate-fault-flaps.js';

describe('migration 013-gate-fault-flaps', () => {
  it('finds a lane’s last alert of a fault by an index, not a scan of every alert', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration013.version),
    );
    const lastOf = `SELECT id FROM alerts WHERE kind = 'gate_fault' AND kiosk_id = ? AND fault = ?
      ORDER BY id DESC LIMIT 1`;
    const plan = () =>
      (db.prepare(`EXPLAIN QUERY PLAN ${lastOf}`).all('k', 'relay_lost') as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    expect(plan()).not.toMatch(/alerts_gate_fault_last/);
    runMigrations(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(13);
    expect(plan()).toMatch(/USING COVERING INDEX alerts_gate_fault_last \(kiosk_id=\? AND fault=\?\)/);
    db.close();
  });
});

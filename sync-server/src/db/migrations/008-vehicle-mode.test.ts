import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration008 } from './008-vehicle-mode.js';

describe('migration 008-vehicle-mode', () => {
  it('adds vehicle_mode to checkpoints, off for the existing ones, 0 or 1 only', () => {
    const db = new Database(':memory:');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration008.version),
    );
    db.exec(
      "INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('CP-1', 'A', 'open', 3600, '[\"F0\"]', 0, 0, 0)",
    );
    runMigrations(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(8);
    expect(db.prepare("SELECT vehicle_mode FROM checkpoints WHERE id = 'CP-1'").pluck().get()).toBe(0);
    db.exec("UPDATE checkpoints SET vehicle_mode = 1 WHERE id = 'CP-1'");
    expect(() => db.exec("UPDATE checkpoints SET vehicle_mode = 2 WHERE id = 'CP-1'")).toThrow(/CHECK/);
    db.close();
  });
});

import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration007 } from './007-vehicle-mode.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 007 (vehicle mode)', () => {
  const fresh = useTestDatabase();

  it('adds vehicle_mode to checkpoints, off for the existing ones', async () => {
    expect(PG_MIGRATIONS[6]).toBe(pgMigration007);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 7),
    );
    await pool.query(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
       VALUES ('CP-1', 'A', 'open', 3600, '["F0"]', 0, 0, 0)`,
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    const row = await pool.query("SELECT vehicle_mode FROM checkpoints WHERE id = 'CP-1'");
    expect(row.rows).toEqual([{ vehicle_mode: false }]);
  });
});

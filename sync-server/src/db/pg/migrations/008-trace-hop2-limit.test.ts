import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration008 } from './008-trace-hop2-limit.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 008 (trace hop-2 limit)', () => {
  const fresh = useTestDatabase();

  it('adds hop2_skipped to traces, NULL for the existing ones, never negative', async () => {
    expect(PG_MIGRATIONS[7]).toBe(pgMigration008);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 8),
    );
    await pool.query(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'done', 1)`,
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await pool.query("SELECT hop2_skipped FROM traces WHERE id = 't1'")).rows).toEqual([
      { hop2_skipped: null },
    ]);
    await expect(pool.query("UPDATE traces SET hop2_skipped = -1 WHERE id = 't1'")).rejects.toThrow(/check/);
  });
});

import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration010 } from './010-ingest-lane-checks.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 010 (ingest without per-row lane checks)', () => {
  const fresh = useTestDatabase();

  const laneKeys = `SELECT conrelid::regclass::text AS "table", conname AS name FROM pg_constraint
    WHERE contype = 'f' AND confrelid = 'kiosks'::regclass AND conrelid::regclass::text IN ('scans', 'lane_records', 'overrides', 'acks')
    ORDER BY 1`;

  it('drops the lane foreign keys of scans and lane_records, keeps those of overrides and acks, keeps the rows', async () => {
    expect(PG_MIGRATIONS[9]).toBe(pgMigration010);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 10),
    );
    expect((await pool.query<{ table: string }>(laneKeys)).rows.map((r) => r.table)).toEqual([
      'acks',
      'lane_records',
      'overrides',
      'scans',
    ]);
    await pool.query(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
       VALUES ('CP', 'CP', 'open', 60, '[]', 60, 0, 0)`,
    );
    const kno = (
      await pool.query<{ no: string }>(
        `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0) RETURNING no`,
      )
    ).rows[0]!.no;
    await pool.query(
      `INSERT INTO lane_records (kiosk_no, seq, id, kind, at, received_at)
       VALUES ($1, 1, '01890a5d-ac96-7000-8000-000000000001', 'scan', 1, 1)`,
      [kno],
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await pool.query<{ table: string }>(laneKeys)).rows.map((r) => r.table)).toEqual([
      'acks',
      'overrides',
    ]);
    expect((await pool.query('SELECT seq FROM lane_records')).rows).toEqual([{ seq: 1 }]);
  });
});

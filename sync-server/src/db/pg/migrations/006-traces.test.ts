import { describe, expect, it, vi } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration006 } from './006-traces.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 120_000 });

const skip = await pgUnavailable();
const VEHICLE = '01890a5d-ac96-7000-8000-0000000000aa';

describe.skipIf(skip !== null)('PostgreSQL migration 006 (traces)', () => {
  const fresh = useTestDatabase();

  it('gives every scan partition, old and made later, vehicle_id and its indexes; traces cascade', async () => {
    expect(PG_MIGRATIONS[5]).toBe(pgMigration006);
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS.slice(0, 5));
    await pool.query(`INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses,
      repeat_window_sec, created_at, updated_at) VALUES ('CP', 'CP', 'open', 60, '[]', 5, 0, 0)`);
    await pool.query(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0)`,
    );
    const insertScan = (seq: number, at: number, vehicle?: string) =>
      pool.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings,
           alert${vehicle === undefined ? '' : ', vehicle_id'})
         VALUES (1, $1, $2, 'CP', $3, 0, 'stdin', 'green', '[]', '[]', false${vehicle === undefined ? '' : ', $4'})`,
        [
          seq,
          `01890a5d-ac96-7000-8000-${String(seq).padStart(12, '0')}`,
          at,
          ...(vehicle === undefined ? [] : [vehicle]),
        ],
      );
    // Before: a scan of this month (its partition exists) and one of 1990 (the default partition).
    await insertScan(1, Date.now());
    await insertScan(2, Date.UTC(1990, 4, 10));
    await runPgMigrations(pool, PG_MIGRATIONS);
    const vehicles = await pool.query<{ seq: number; vehicle_id: string | null }>(
      'SELECT seq, vehicle_id FROM scans ORDER BY seq',
    );
    expect(vehicles.rows).toEqual([
      { seq: 1, vehicle_id: null },
      { seq: 2, vehicle_id: null },
    ]);
    await insertScan(3, Date.UTC(1990, 4, 11), VEHICLE);
    await expect(insertScan(4, Date.UTC(1990, 4, 12), 'not-a-uuid')).rejects.toThrow(/uuid/);
    // A month made later (rows moved out of the default partition) has the column and the indexes.
    await pool.query('SELECT ensure_scan_partitions($1, 1)', [Date.UTC(1990, 4, 1)]);
    const moved = await pool.query<{ part: string; vehicle_id: string | null }>(
      'SELECT tableoid::regclass::text AS part, vehicle_id FROM scans WHERE seq = 3',
    );
    expect(moved.rows).toEqual([{ part: 'scans_1990_05', vehicle_id: VEHICLE }]);
    const indexes = async (table: string): Promise<string[]> =>
      (
        await pool.query<{ def: string }>(
          'SELECT indexdef AS def FROM pg_indexes WHERE tablename = $1 ORDER BY 1',
          [table],
        )
      ).rows.map((r) => r.def);
    for (const part of ['scans_1990_05', 'scans_default']) {
      const defs = await indexes(part);
      expect(defs.some((d) => /\(vehicle_id\) WHERE \(vehicle_id IS NOT NULL\)/.test(d))).toBe(true);
      expect(
        defs.some((d) =>
          /\(at\) WHERE \(\(subject_key IS NOT NULL\) OR \(subject_sealed IS NOT NULL\)\)/.test(d),
        ),
      ).toBe(true);
    }

    await pool.query(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'running', 1)`,
    );
    await expect(
      pool.query(
        `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t2', 1, 'x', '{}', 'lost', 1)`,
      ),
    ).rejects.toThrow(/check constraint/);
    const contact = (trace: string, key: string, hop: number) =>
      pool.query(
        `INSERT INTO trace_contacts (trace_id, subject_key, hop, via, evidence, evidence_count, first_at)
         VALUES ($1, $2, $3, 'lane', '[]', 0, 0)`,
        [trace, key, hop],
      );
    await contact('t1', '-9000000000000000000', 1);
    await expect(contact('t1', '-9000000000000000000', 2)).rejects.toThrow(/duplicate key/);
    await expect(contact('t1', '7', 3)).rejects.toThrow(/check constraint/);
    await expect(contact('nope', '8', 1)).rejects.toThrow(/foreign key/);
    await pool.query(
      "INSERT INTO trace_subjects (trace_id, subject_key, subject_sealed) VALUES ('t1', 1, 's')",
    );
    await pool.query("DELETE FROM traces WHERE id = 't1'");
    const left = await pool.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM trace_contacts) + (SELECT count(*) FROM trace_subjects) AS n',
    );
    expect(left.rows).toEqual([{ n: 0 }]);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { createTestDatabase, pgUnavailable } from './pg-database.testkit.js';
import { runPgMigrations } from './pg-migrate.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { maintainScanPartitions, monthStartBefore } from './pg-scan-partitions.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 120_000 });

const pgSkip = await pgUnavailable();
const month = (y: number, m: number): number => Date.UTC(y, m - 1, 1);

describe('monthStartBefore', () => {
  it('steps back whole UTC months across a year', () => {
    expect(monthStartBefore(Date.UTC(2026, 0, 31, 23, 59), 0)).toBe(month(2026, 1));
    expect(monthStartBefore(Date.UTC(2026, 0, 15), 1)).toBe(month(2025, 12));
    expect(monthStartBefore(Date.UTC(2026, 2, 1), 14)).toBe(month(2025, 1));
  });
});

describe.skipIf(pgSkip !== null)('maintainScanPartitions', () => {
  it('adds the months ahead once, moves rows out of the default partition, and drops months past retention', async () => {
    const db = await createTestDatabase();
    try {
      const pool = await db.open();
      await runPgMigrations(pool, PG_MIGRATIONS);
      const parts = async (): Promise<string[]> =>
        (
          await pool.query<{ name: string }>(
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'scans'::regclass AND c.relname ~ '^scans_19' ORDER BY 1`,
          )
        ).rows.map((r) => r.name);
      await pool.query(`INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses,
        repeat_window_sec, created_at, updated_at) VALUES ('CP', 'CP', 'open', 60, '[]', 5, 0, 0)`);
      await pool.query(
        `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0)`,
      );
      // A scan in a month no partition covers yet lands in the default partition.
      await pool.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings, alert)
         SELECT no, 1, '01890a5d-ac96-7000-8000-000000000001', 'CP', $1, 0, 'stdin', 'green', '[]', '[]', false
         FROM kiosks`,
        [month(1999, 2) + 5],
      );
      const now = Date.UTC(1999, 0, 20);
      expect(await maintainScanPartitions(pool, now, { monthsAhead: 3 })).toEqual({
        created: 3,
        dropped: 0,
        cutoff: null,
      });
      expect(await parts()).toEqual(['scans_1999_01', 'scans_1999_02', 'scans_1999_03']);
      const where = await pool.query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM scans`);
      expect(where.rows).toEqual([{ part: 'scans_1999_02' }]);
      // Two servers at once: the months are made once.
      const both = await Promise.all([
        maintainScanPartitions(pool, now, { monthsAhead: 4 }),
        maintainScanPartitions(pool, now, { monthsAhead: 4 }),
      ]);
      expect(both.map((b) => b.created).sort()).toEqual([0, 1]);
      expect(await parts()).toHaveLength(4);
      // A month later, keeping the current month and the one before: January 1999 goes.
      const later = Date.UTC(1999, 2, 3);
      expect(await maintainScanPartitions(pool, later, { monthsAhead: 3, retainMonths: 1 })).toEqual({
        created: 1,
        dropped: 1,
        cutoff: month(1999, 2),
      });
      expect(await parts()).toEqual(['scans_1999_02', 'scans_1999_03', 'scans_1999_04', 'scans_1999_05']);
      expect((await pool.query('SELECT count(*)::int AS n FROM scans')).rows[0]).toEqual({ n: 1 });
      await expect(maintainScanPartitions(pool, later, { monthsAhead: 0 })).rejects.toThrow(/monthsAhead/);
      await expect(maintainScanPartitions(pool, later, { monthsAhead: 3, retainMonths: -1 })).rejects.toThrow(
        /retainMonths/,
      );
    } finally {
      await db.drop();
    }
  });
});

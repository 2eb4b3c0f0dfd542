import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration012 } from './012-gates.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 012 (gates)', () => {
  const fresh = useTestDatabase();

  it('admits gate alerts without a scan, one open fault per lane, and the kiosks’ gate report', async () => {
    expect(PG_MIGRATIONS[11]).toBe(pgMigration012);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 12),
    );
    await pool.query(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
       VALUES ('CP', 'CP', 'open', 60, '[]', 60, 0, 0)`,
    );
    await pool.query(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0)`,
    );
    const s1 = '01890a5d-ac96-7000-8000-000000000001';
    await pool.query(
      `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by)
       VALUES ('health', 1, 2, 'k', 'CP', $1, 'lane')`,
      [s1],
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await pool.query('SELECT kind, scan_id, fault, cleared_at FROM alerts')).rows).toEqual([
      { kind: 'health', scan_id: s1, fault: null, cleared_at: null },
    ]);
    const gate = (
      kind: string,
      scanId: string | null,
      fault: string | null,
      clearedAt: number | null = null,
    ) =>
      pool.query(
        `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by, details, fault, cleared_at)
         VALUES ($1, 9, 9, 'k', 'CP', $2, 'server', '{}', $3, $4) RETURNING id`,
        [kind, scanId, fault, clearedAt],
      );
    const first = (await gate('gate_fault', null, 'relay_lost')).rows[0] as { id: string };
    await expect(gate('gate_fault', null, 'relay_lost')).rejects.toThrow(/unique/);
    await gate('gate_fault', null, 'scanner_lost');
    await pool.query('UPDATE alerts SET cleared_at = 10 WHERE id = $1', [first.id]);
    await gate('gate_fault', null, 'relay_lost');
    await gate('gate_red', null, null);
    await expect(gate('gate_red', s1, null)).rejects.toThrow(/check/);
    await expect(gate('gate_fault', null, null)).rejects.toThrow(/check/);
    await expect(gate('gate_red', null, 'relay_lost')).rejects.toThrow(/check/);
    await expect(gate('gate_red', null, null, 5)).rejects.toThrow(/check/);
    await expect(gate('health', null, null)).rejects.toThrow(/check/);
    await expect(gate('bogus', null, null)).rejects.toThrow(/check/);

    await pool.query(`UPDATE kiosks SET gate = '{"state":"idle"}'::jsonb WHERE id = 'k'`);
    expect((await pool.query("SELECT gate FROM kiosks WHERE id = 'k'")).rows).toEqual([
      { gate: { state: 'idle' } },
    ]);
  });
});

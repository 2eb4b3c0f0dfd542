import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration011 } from './011-replay-arrivals.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 011 (replay alerts, arrivals)', () => {
  const fresh = useTestDatabase();

  it('adds checkpoint locations, scans.pass_id, replay pairs on alerts and account provinces', async () => {
    expect(PG_MIGRATIONS[10]).toBe(pgMigration011);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 11),
    );
    await pool.query(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
       VALUES ('CP', 'CP', 'open', 60, '[]', 60, 0, 0)`,
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await pool.query("SELECT lat, lon FROM checkpoints WHERE id = 'CP'")).rows).toEqual([
      { lat: null, lon: null },
    ]);
    const locate = (lat: number | null, lon: number | null) =>
      pool.query("UPDATE checkpoints SET lat = $1, lon = $2 WHERE id = 'CP'", [lat, lon]);
    await locate(21.0285, 105.8542);
    await expect(locate(91, 0)).rejects.toThrow(/check/);
    await expect(locate(0, 181)).rejects.toThrow(/check/);
    await expect(locate(10, null)).rejects.toThrow(/check/);

    const kno = (
      await pool.query<{ no: string }>(
        `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', 0) RETURNING no`,
      )
    ).rows[0]!.no;
    const scan = (seq: number, id: string, passId: string | null) =>
      pool.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings,
           alert, pass_id) VALUES ($1, $2, $3, 'CP', $4, 1, 'stdin', 'green', '[]', '[]', false, $5)`,
        [kno, seq, id, Date.now(), passId],
      );
    const s1 = '01890a5d-ac96-7000-8000-000000000001';
    const s2 = '01890a5d-ac96-7000-8000-000000000002';
    await scan(1, s1, '0123456789abcdef');
    await scan(2, s2, null);
    // A month made later still attaches (its partition is made LIKE scans, without constraints).
    await pool.query('SELECT ensure_scan_partitions($1, 1)', [Date.UTC(1990, 4, 1)]);
    const indexes = await pool.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'scans' AND indexname = 'scans_pass_at'",
    );
    expect(indexes.rows[0]?.indexdef).toMatch(/\(pass_id, at\) WHERE \(pass_id IS NOT NULL\)/);

    const alert = () =>
      pool.query(
        `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, related_scan_id, raised_by, details)
         VALUES ('replay', 1, 1, 'k', 'CP', $1, $2, 'server', '{}')`,
        [s2, s1],
      );
    await alert();
    await expect(alert()).rejects.toThrow(/unique/);

    const account = (name: string, province: number) =>
      pool.query(
        `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at, province)
         VALUES ($1, $1, 'viewer', 'x', 0, 0, $2)`,
        [name, province],
      );
    await account('a', 79);
    await expect(account('b', 100)).rejects.toThrow(/check/);
  });
});

import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration009 } from './009-passes.js';

const skip = await pgUnavailable();

const DECLARATION = `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id,
  full_name, phone, from_province, to_province, purpose, travel_date, valid_from, valid_until)
  VALUES ($1, $2, $3, 1, 42, '001099012345', 'A', '0900000000', 1, 79, 'work', '2021-09-18', 10, 20)`;

describe.skipIf(skip !== null)('PostgreSQL migration 009 (passes)', () => {
  const fresh = useTestDatabase();

  it('adds pass keys (one current, ids 1..255), the directory version at 0, and declarations', async () => {
    expect(PG_MIGRATIONS[8]).toBe(pgMigration009);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 9),
    );
    await pool.query(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'done', 1)`,
    );
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await pool.query("SELECT id FROM traces WHERE id = 't1'")).rows).toEqual([{ id: 't1' }]);
    expect((await pool.query('SELECT version FROM pass_state')).rows).toEqual([{ version: 0 }]);

    const key = (id: number, until: number | null) =>
      pool.query(
        `INSERT INTO pass_keys (key_id, public_key, private_key, valid_from, valid_until, created_at)
         VALUES ($1, 'pub', 'priv', 0, $2, 0)`,
        [id, until],
      );
    await key(1, null);
    await expect(key(2, null)).rejects.toThrow(/unique/);
    await key(2, 100);
    await expect(key(0, 100)).rejects.toThrow(/check/);
    await expect(key(256, 100)).rejects.toThrow(/check/);

    const declare = (id: string, passId: string | null, keyId: number | null) =>
      pool.query(DECLARATION, [id, passId, keyId]);
    await declare('aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa', 1);
    await declare('bbbbbbbbbbbbbbbb', null, null);
    await expect(declare('cccccccccccccccc', 'cccccccccccccccc', null)).rejects.toThrow(/check/);
    await expect(declare('dddddddddddddddd', 'aaaaaaaaaaaaaaaa', 1)).rejects.toThrow(/unique/);
    await expect(declare('short', null, null)).rejects.toThrow(/check/);
  });
});

import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration005 } from './005-limits.js';

const skip = await pgUnavailable();
const HASH = Buffer.alloc(32, 1);

describe.skipIf(skip !== null)('PostgreSQL migration 005 (limit counters)', () => {
  const fresh = useTestDatabase();

  it('keeps one counter per (bucket, key hash), refuses keys that are not SHA-256 digests, and indexes expiry', async () => {
    expect(PG_MIGRATIONS[4]).toBe(pgMigration005);
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    const insert = (bucket: string, hash: Buffer, count = 1) =>
      pool.query(
        'INSERT INTO limit_counters (bucket, key_hash, count, reset_at, expires_at) VALUES ($1, $2, $3, 10, 10)',
        [bucket, hash, count],
      );
    await insert('rate:a', HASH);
    await insert('rate:b', HASH);
    await expect(insert('rate:a', HASH)).rejects.toThrow(/duplicate key/);
    await expect(insert('rate:a', Buffer.from('lan.nguyen'))).rejects.toThrow(/check constraint/);
    await expect(insert('', Buffer.alloc(32, 2))).rejects.toThrow(/check constraint/);
    await expect(insert('rate:a', Buffer.alloc(32, 3), -1)).rejects.toThrow(/check constraint/);
    const row = await pool.query('SELECT locked_until FROM limit_counters WHERE bucket = $1', ['rate:a']);
    expect(row.rows).toEqual([{ locked_until: 0 }]);
    const index = await pool.query(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'limit_counters' AND indexname = 'limit_counters_expires_at'",
    );
    expect(index.rows).toHaveLength(1);
  });
});

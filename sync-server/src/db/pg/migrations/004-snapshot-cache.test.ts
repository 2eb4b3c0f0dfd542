import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration004 } from './004-snapshot-cache.js';

const skip = await pgUnavailable();
const DIGEST = 'ab'.repeat(32);

describe.skipIf(skip !== null)('PostgreSQL migration 004 (snapshot cache)', () => {
  const fresh = useTestDatabase();

  it('stores a snapshot row with its chunks, refuses chunks without a row at commit, prunes chunks with their row', async () => {
    expect(PG_MIGRATIONS[3]).toBe(pgMigration004);
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    const chunk = (no: number, version = 5) =>
      pool.query(
        `INSERT INTO snapshot_chunks (list, version, scope, key_id, no, bytes) VALUES ('health', $1, '', 1, $2, $3)`,
        [version, no, Buffer.from([no, 1, 2])],
      );
    const client = await pool.connect();
    try {
      // Chunks first, then their row, in one transaction: accepted at commit.
      await client.query('BEGIN');
      for (const no of [0, 1])
        await client.query(
          `INSERT INTO snapshot_chunks (list, version, scope, key_id, no, bytes) VALUES ('health', 5, '', 1, $1, $2)`,
          [no, Buffer.from([no, 1, 2])],
        );
      await client.query(
        `INSERT INTO snapshot_cache (list, version, scope, key_id, key_scope, size, count, digest, chunk_bytes, built_at, build_ms)
         VALUES ('health', 5, '', 1, 'fleet', 6, 0, $1, 3, 0, 1)`,
        [DIGEST],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const bytes = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM snapshot_chunks ORDER BY no');
    expect(bytes.rows.map((r) => [...r.bytes])).toEqual([
      [0, 1, 2],
      [1, 1, 2],
    ]);
    // A chunk of no snapshot is refused (the deferred reference, checked at the statement's commit).
    await expect(chunk(0, 6)).rejects.toThrow(/foreign key/);
    // A bad digest or an empty snapshot is refused.
    await expect(
      pool.query(
        `INSERT INTO snapshot_cache (list, version, scope, key_id, key_scope, size, count, digest, chunk_bytes, built_at, build_ms)
         VALUES ('health', 6, '', 1, 'fleet', 0, 0, 'x', 3, 0, 1)`,
      ),
    ).rejects.toThrow(/check constraint/);
    await pool.query(`DELETE FROM snapshot_cache WHERE version = 5`);
    expect((await pool.query('SELECT count(*)::int AS n FROM snapshot_chunks')).rows).toEqual([{ n: 0 }]);
  });
});

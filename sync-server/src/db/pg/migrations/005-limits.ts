import type { PgMigration } from '../pg-migrate.js';

/**
 * Counters and locks the servers of a fleet share (`PgLimitsStore`): per-address request limits
 * and the lock-out of usernames with no account. One row per (bucket, key), the key stored as
 * its SHA-256 (it would otherwise hold a username or an address). `expires_at` is the later of
 * the window's end and the lock's end: rows past it are swept.
 */
export const pgMigration005: PgMigration = {
  version: 5,
  name: 'limits',
  async up(client) {
    await client.query(`
      CREATE TABLE limit_counters (
        bucket       text NOT NULL CHECK (length(bucket) BETWEEN 1 AND 100),
        key_hash     bytea NOT NULL CHECK (length(key_hash) = 32),
        count        integer NOT NULL CHECK (count >= 0),
        reset_at     bigint NOT NULL,
        locked_until bigint NOT NULL DEFAULT 0,
        expires_at   bigint NOT NULL,
        PRIMARY KEY (bucket, key_hash)
      );
      CREATE INDEX limit_counters_expires_at ON limit_counters (expires_at);
    `);
  },
};

import type { PgMigration } from '../pg-migrate.js';

/**
 * The list snapshot cache every server of a fleet shares (`PgSnapshotStore`): one row per built
 * snapshot, keyed by (list, version, checkpoint scope, list key id), with its size, entry count
 * and SHA-256 digest, and its bytes in numbered chunks of `chunk_bytes` (the last one shorter).
 * A snapshot's row and chunks are written in one transaction, so a server reads a whole snapshot
 * or none; the chunks go with their row (ON DELETE CASCADE) when old versions are pruned.
 */
export const pgMigration004: PgMigration = {
  version: 4,
  name: 'snapshot-cache',
  async up(client) {
    await client.query(`
      CREATE TABLE snapshot_cache (
        list        text NOT NULL CHECK (list IN ('health', 'whitelist')),
        version     bigint NOT NULL,
        scope       text NOT NULL, -- the checkpoint a whitelist snapshot is cut for; '' for health
        key_id      bigint NOT NULL,
        key_scope   text NOT NULL,
        size        bigint NOT NULL CHECK (size > 0),
        count       bigint NOT NULL CHECK (count >= 0),
        digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
        chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
        built_at    bigint NOT NULL,
        build_ms    integer NOT NULL,
        PRIMARY KEY (list, version, scope, key_id)
      );
      CREATE INDEX snapshot_cache_key_scope ON snapshot_cache (list, key_scope, key_id);

      -- Chunks are inserted as the build produces them, before their row: the reference is
      -- checked at commit.
      CREATE TABLE snapshot_chunks (
        list    text NOT NULL,
        version bigint NOT NULL,
        scope   text NOT NULL,
        key_id  bigint NOT NULL,
        no      integer NOT NULL CHECK (no >= 0),
        bytes   bytea NOT NULL,
        PRIMARY KEY (list, version, scope, key_id, no),
        FOREIGN KEY (list, version, scope, key_id) REFERENCES snapshot_cache ON DELETE CASCADE
          DEFERRABLE INITIALLY DEFERRED
      );
      -- Chunks are written once and read whole: kept out of line, uncompressed (the format is
      -- varints of random keys: it does not compress).
      ALTER TABLE snapshot_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
    `);
  },
};

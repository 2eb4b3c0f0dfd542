import type { Migration } from './migration.js';

/**
 * The lane store: lists as keyed hashes only (no raw IDs, no names), their versions and sync
 * times, the scan outbox, and settings. Subject keys are the first 8 bytes of
 * HMAC-SHA256(K, subject) as an INTEGER PRIMARY KEY (the rowid: smallest and fastest form).
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE list_state (
        list      TEXT PRIMARY KEY CHECK (list IN ('health', 'whitelist')),
        version   INTEGER NOT NULL CHECK (version >= 0),
        synced_at INTEGER
      ) STRICT;
      INSERT INTO list_state (list, version, synced_at) VALUES ('health', 0, NULL), ('whitelist', 0, NULL);

      -- status: index into HEALTH_STATUSES; since/until: epoch ms or NULL (open-ended).
      CREATE TABLE health_entries (
        key    INTEGER PRIMARY KEY,
        status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 5),
        since  INTEGER,
        until  INTEGER
      ) STRICT;

      -- category: index into WHITELIST_CATEGORIES; valid_here: the entry is valid at this
      -- lane's checkpoint (the lane needs no other checkpoint's name).
      CREATE TABLE whitelist_entries (
        key         INTEGER PRIMARY KEY,
        category    INTEGER NOT NULL CHECK (category BETWEEN 0 AND 5),
        valid_from  INTEGER,
        valid_until INTEGER,
        valid_here  INTEGER NOT NULL CHECK (valid_here IN (0, 1))
      ) STRICT;

      -- Every scan and override, written (durably) before it is uploaded; AUTOINCREMENT so a
      -- sequence number is never reused even after acknowledged rows are pruned.
      CREATE TABLE outbox (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        id     TEXT NOT NULL UNIQUE,
        at     INTEGER NOT NULL,
        urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
        record TEXT NOT NULL
      );
    `);
  },
};

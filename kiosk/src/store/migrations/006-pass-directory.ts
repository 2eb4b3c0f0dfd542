import type { Migration } from './migration.js';

/**
 * Lane passes (issue 16): the pass directory the lane last took from the server, for checking
 * passes offline. One state row (the directory's version and when it was taken), the public
 * keys that sign passes (each with its validity period), and the ids of revoked passes with the
 * end of their validity (a revocation is dropped once its pass has expired). Nothing of a
 * pass's holder: no ID, name, route or plate. Passes scanned are in the outbox like any scan.
 */
export const migration006: Migration = {
  version: 6,
  name: 'pass-directory',
  up(db) {
    db.exec(`
      CREATE TABLE pass_directory (
        slot      INTEGER PRIMARY KEY CHECK (slot = 1),
        version   INTEGER NOT NULL CHECK (version >= 0),
        synced_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE pass_keys (
        key_id      INTEGER PRIMARY KEY CHECK (key_id BETWEEN 1 AND 255),
        public_key  TEXT NOT NULL CHECK (length(public_key) = 43),
        valid_from  INTEGER NOT NULL,
        valid_until INTEGER
      ) STRICT;
      CREATE TABLE pass_revocations (
        pass_id TEXT PRIMARY KEY CHECK (length(pass_id) = 16 AND pass_id NOT GLOB '*[^0-9a-f]*'),
        until   INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `);
  },
};

import type { Migration } from './migration.js';

/**
 * Lane passes (issue 16): the pass signing keys, the pass directory's version, and movement
 * declarations.
 * - `pass_keys`: Ed25519 keys with a 1-byte id (1..255) and a period; the private half as base64
 *   PKCS#8 DER, as the list-signing keys keep theirs. One current key (`valid_until` NULL); a
 *   withdrawn key (`withdrawn_at`) is left out of the lanes' directory.
 * - `pass_state`: one row, the directory's version (advanced with each key rotation and revocation
 *   in the same transaction).
 * - `declarations`: one per declaration; `pass_id` is set when a pass was issued (NULL: the person
 *   was held by the health list), `subject_key` is the personal ID under the index key.
 */
export const migration010: Migration = {
  version: 10,
  name: 'passes',
  up(db) {
    db.exec(`
      CREATE TABLE pass_keys (
        key_id       INTEGER PRIMARY KEY CHECK (key_id BETWEEN 1 AND 255),
        public_key   TEXT NOT NULL,
        private_key  TEXT NOT NULL,
        valid_from   INTEGER NOT NULL,
        valid_until  INTEGER,
        withdrawn_at INTEGER,
        created_at   INTEGER NOT NULL,
        CHECK (valid_until IS NULL OR valid_until >= valid_from)
      ) STRICT;
      CREATE UNIQUE INDEX pass_keys_one_current ON pass_keys ((valid_until IS NULL)) WHERE valid_until IS NULL;

      CREATE TABLE pass_state (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL CHECK (version >= 0)
      ) STRICT;
      INSERT INTO pass_state (id, version) VALUES (1, 0);

      CREATE TABLE declarations (
        id            TEXT PRIMARY KEY CHECK (length(id) = 16),
        pass_id       TEXT UNIQUE CHECK (pass_id IS NULL OR length(pass_id) = 16),
        pass_key_id   INTEGER,
        created_at    INTEGER NOT NULL,
        subject_key   INTEGER NOT NULL,
        personal_id   TEXT NOT NULL CHECK (length(personal_id) = 12),
        full_name     TEXT NOT NULL,
        phone         TEXT NOT NULL,
        from_province INTEGER NOT NULL CHECK (from_province BETWEEN 1 AND 99),
        from_district INTEGER,
        from_ward     INTEGER,
        to_province   INTEGER NOT NULL CHECK (to_province BETWEEN 1 AND 99),
        to_district   INTEGER,
        to_ward       INTEGER,
        plate         TEXT,
        purpose       TEXT NOT NULL,
        travel_date   TEXT NOT NULL,
        valid_from    INTEGER NOT NULL,
        valid_until   INTEGER NOT NULL CHECK (valid_until > valid_from),
        revoked_at    INTEGER,
        revoked_by    TEXT,
        CHECK ((pass_id IS NULL) = (pass_key_id IS NULL))
      ) STRICT;
      CREATE INDEX declarations_arrivals ON declarations (to_province, to_district, to_ward, valid_from);
      CREATE INDEX declarations_subject ON declarations (subject_key);
      CREATE INDEX declarations_revoked ON declarations (valid_until) WHERE revoked_at IS NOT NULL;
    `);
  },
};

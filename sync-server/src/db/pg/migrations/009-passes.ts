import type { PgMigration } from '../pg-migrate.js';

/**
 * Lane passes (issue 16; SQLite step 010's twin): `pass_keys` (Ed25519 pass signing keys with a
 * 1-byte id and a period; one current), `pass_state` (the pass directory's version) and
 * `declarations` (movement declarations; `pass_id` NULL when no pass was issued).
 */
export const pgMigration009: PgMigration = {
  version: 9,
  name: 'passes',
  async up(client) {
    await client.query(`
      CREATE TABLE pass_keys (
        key_id       smallint PRIMARY KEY CHECK (key_id BETWEEN 1 AND 255),
        public_key   text NOT NULL,
        private_key  text NOT NULL,
        valid_from   bigint NOT NULL,
        valid_until  bigint,
        withdrawn_at bigint,
        created_at   bigint NOT NULL,
        CHECK (valid_until IS NULL OR valid_until >= valid_from)
      );
      CREATE UNIQUE INDEX pass_keys_one_current ON pass_keys ((valid_until IS NULL)) WHERE valid_until IS NULL;

      CREATE TABLE pass_state (
        id      integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL CHECK (version >= 0)
      );
      INSERT INTO pass_state (id, version) VALUES (1, 0);

      CREATE TABLE declarations (
        id            text PRIMARY KEY CHECK (length(id) = 16),
        pass_id       text UNIQUE CHECK (pass_id IS NULL OR length(pass_id) = 16),
        pass_key_id   smallint,
        created_at    bigint NOT NULL,
        subject_key   bigint NOT NULL,
        personal_id   text NOT NULL CHECK (length(personal_id) = 12),
        full_name     text NOT NULL,
        phone         text NOT NULL,
        from_province smallint NOT NULL CHECK (from_province BETWEEN 1 AND 99),
        from_district integer,
        from_ward     integer,
        to_province   smallint NOT NULL CHECK (to_province BETWEEN 1 AND 99),
        to_district   integer,
        to_ward       integer,
        plate         text,
        purpose       text NOT NULL,
        travel_date   text NOT NULL,
        valid_from    bigint NOT NULL,
        valid_until   bigint NOT NULL CHECK (valid_until > valid_from),
        revoked_at    bigint,
        revoked_by    text,
        CHECK ((pass_id IS NULL) = (pass_key_id IS NULL))
      );
      CREATE INDEX declarations_arrivals ON declarations (to_province, to_district, to_ward, valid_from);
      CREATE INDEX declarations_subject ON declarations (subject_key);
      CREATE INDEX declarations_revoked ON declarations (valid_until) WHERE revoked_at IS NOT NULL;
    `);
  },
};

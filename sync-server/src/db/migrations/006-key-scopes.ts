import type { Migration } from './migration.js';

/**
 * Key scopes: a checkpoint's key scope (`checkpoints.key_scope`, NULL = the scope `fleet`); the
 * list keys lanes are sent, one unretired key per scope (`list_keys`, ids 1, 2, … never reused;
 * id 0 names the old fleet-wide key, which is not stored here); and the raw subject of each
 * change-log row (`list_changes.subject`), so a change can be keyed with any scope's key. Old
 * change-log rows have no subject: the log is emptied and every lane behind takes a snapshot.
 */
export const migration006: Migration = {
  version: 6,
  name: 'key-scopes',
  up(db) {
    db.exec(`
      ALTER TABLE checkpoints ADD COLUMN key_scope TEXT;
      CREATE INDEX checkpoints_key_scope ON checkpoints (key_scope);

      CREATE TABLE list_keys (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        scope      TEXT NOT NULL,
        key        BLOB NOT NULL CHECK (length(key) = 32),
        created_at INTEGER NOT NULL,
        retired_at INTEGER,
        reason     TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX list_keys_current ON list_keys (scope) WHERE retired_at IS NULL;

      ALTER TABLE list_changes ADD COLUMN subject TEXT;
      DELETE FROM list_changes;
      UPDATE list_state SET changes_from = version;
    `);
  },
};

import type { Migration } from './migration.js';

/**
 * What the admin console needs: admin accounts with roles and their sessions, alert
 * acknowledgement, each list version's history (who, when, how many changes) and an hourly
 * roll-up of scans per checkpoint and decision for the charts. History and roll-up are
 * back-filled from what the server already holds, so an upgraded server shows its past.
 */
export const migration002: Migration = {
  version: 2,
  name: 'admin-console',
  up(db) {
    db.exec(`
      CREATE TABLE admin_accounts (
        id             INTEGER PRIMARY KEY,
        username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name   TEXT NOT NULL,
        role           TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        password_hash  TEXT NOT NULL, -- scrypt$N$r$p$salt$hash (base64)
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        disabled_at    INTEGER,
        failed_logins  INTEGER NOT NULL DEFAULT 0, -- consecutive, reset by a good sign-in
        locked_until   INTEGER,
        last_login_at  INTEGER
      ) STRICT;

      -- The cookie holds a random token; only its SHA-256 is stored.
      CREATE TABLE admin_sessions (
        token_hash   TEXT PRIMARY KEY,
        account_id   INTEGER NOT NULL REFERENCES admin_accounts (id),
        csrf_token   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX admin_sessions_account ON admin_sessions (account_id);

      ALTER TABLE alerts ADD COLUMN acked_at INTEGER;
      ALTER TABLE alerts ADD COLUMN acked_by TEXT;

      -- One row per list version written: who, when, what kind of write, how many entries changed.
      CREATE TABLE list_versions (
        list    TEXT NOT NULL CHECK (list IN ('health', 'whitelist')),
        version INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        changes INTEGER NOT NULL,
        PRIMARY KEY (list, version)
      ) STRICT, WITHOUT ROWID;
      INSERT OR IGNORE INTO list_versions (list, version, at, actor, action, changes)
        SELECT CASE WHEN instr(target, ':') > 0 THEN substr(target, 1, instr(target, ':') - 1) ELSE target END,
               json_extract(details, '$.version'), at, actor, action,
               CASE action WHEN 'list.import' THEN coalesce(json_extract(details, '$.accepted'), 0) ELSE 1 END
        FROM audit_log
        WHERE action IN ('list.import', 'list.put', 'list.delete')
          AND json_extract(details, '$.version') > 0
          AND (action <> 'list.import' OR json_extract(details, '$.applied') = 1)
          AND (target LIKE 'health%' OR target LIKE 'whitelist%');

      -- Scans per checkpoint, hour (epoch ms of the hour's start, by the lane's scan time) and
      -- lane decision, kept in the ingest transaction: charts read a few hundred rows, not scans.
      CREATE TABLE scan_hourly (
        checkpoint_id TEXT NOT NULL,
        hour          INTEGER NOT NULL,
        decision      TEXT NOT NULL,
        count         INTEGER NOT NULL,
        PRIMARY KEY (hour, checkpoint_id, decision)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO scan_hourly (checkpoint_id, hour, decision, count)
        SELECT checkpoint_id, at - (at % 3600000), decision, count(*) FROM scans GROUP BY 1, 2, 3;

      CREATE INDEX audit_log_actor ON audit_log (actor, id);
    `);
  },
};

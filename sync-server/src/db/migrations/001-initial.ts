import type { Migration } from './migration.js';

/**
 * The first schema: checkpoints, enrollment, kiosks, the two lists with their version
 * counters and change log, scans and overrides, alerts, the audit log and server settings.
 * Subject keys are the signed 64-bit form of the keyed hash (see `lists/subject-key.ts`).
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;

      CREATE TABLE checkpoints (
        id                   TEXT PRIMARY KEY,
        name                 TEXT NOT NULL,
        mode                 TEXT NOT NULL CHECK (mode IN ('open', 'closed')),
        freshness_budget_sec INTEGER NOT NULL,
        blocking_statuses    TEXT NOT NULL, -- JSON array of health statuses
        repeat_window_sec    INTEGER NOT NULL,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE enrollment_codes (
        code_hash     TEXT PRIMARY KEY,
        checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        used_at       INTEGER,
        kiosk_id      TEXT
      ) STRICT;

      -- \`no\` is a compact internal number: scans reference it instead of the 36-character id,
      -- which keeps their indexes small (ingest speed).
      CREATE TABLE kiosks (
        no                INTEGER PRIMARY KEY,
        id                TEXT NOT NULL UNIQUE,
        name              TEXT NOT NULL,
        checkpoint_id     TEXT NOT NULL REFERENCES checkpoints (id),
        token_hash        TEXT NOT NULL UNIQUE,
        enrolled_at       INTEGER NOT NULL,
        revoked_at        INTEGER,
        last_heartbeat_at INTEGER,
        health_version    INTEGER,
        whitelist_version INTEGER,
        backlog           INTEGER,
        devices           TEXT, -- JSON array of {name, kind, status}
        clock_skew_ms     INTEGER,
        acked_through     INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX kiosks_checkpoint ON kiosks (checkpoint_id);

      -- One row per list: the version counter, advanced in the transaction that writes a change,
      -- and the oldest version a lane may still ask changes since (older: 410, take a snapshot).
      CREATE TABLE list_state (
        list         TEXT PRIMARY KEY CHECK (list IN ('health', 'whitelist')),
        version      INTEGER NOT NULL,
        changes_from INTEGER NOT NULL
      ) STRICT;
      INSERT INTO list_state (list, version, changes_from) VALUES ('health', 0, 0), ('whitelist', 0, 0);

      CREATE TABLE health_entries (
        subject_key INTEGER PRIMARY KEY,
        subject     TEXT NOT NULL, -- canonical subject, kind:value
        status      TEXT NOT NULL CHECK (status IN ('F0', 'F1', 'F2', 'F3', 'recovered', 'deceased')),
        since       INTEGER,
        until       INTEGER,
        name        TEXT,
        note        TEXT,
        version     INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE whitelist_entries (
        subject_key INTEGER PRIMARY KEY,
        subject     TEXT NOT NULL,
        category    TEXT NOT NULL
          CHECK (category IN ('shipper', 'green_lane', 'permit', 'official', 'medical', 'other')),
        valid_from  INTEGER,
        valid_until INTEGER,
        checkpoints TEXT, -- ';A;B;' (NULL: valid everywhere), so membership is one instr()
        name        TEXT,
        note        TEXT,
        version     INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      -- Which keys changed at which version. The entry itself is read from the list table, so
      -- a delta is naturally coalesced to the latest state of each key.
      CREATE TABLE list_changes (
        list        TEXT NOT NULL,
        version     INTEGER NOT NULL,
        subject_key INTEGER NOT NULL,
        PRIMARY KEY (list, version, subject_key)
      ) STRICT, WITHOUT ROWID;

      -- A rowid table in arrival order: \`no\` pages the admin search (newest first) without an
      -- index on time. Idempotency: (kiosk_no, seq) and the record id are both unique.
      CREATE TABLE scans (
        no             INTEGER PRIMARY KEY,
        kiosk_no       INTEGER NOT NULL REFERENCES kiosks (no),
        seq            INTEGER NOT NULL,
        id             TEXT NOT NULL UNIQUE,
        checkpoint_id  TEXT NOT NULL,
        at             INTEGER NOT NULL,
        received_at    INTEGER NOT NULL,
        source         TEXT NOT NULL,
        format         TEXT,
        subject_key    INTEGER,
        subject_sealed TEXT,
        decision       TEXT NOT NULL,
        reasons        TEXT NOT NULL,
        warnings       TEXT NOT NULL,
        alert          INTEGER NOT NULL,
        UNIQUE (kiosk_no, seq)
      ) STRICT;
      CREATE INDEX scans_subject_at ON scans (subject_key, at);
      CREATE INDEX scans_checkpoint_at ON scans (checkpoint_id, at);

      CREATE TABLE overrides (
        no                INTEGER PRIMARY KEY,
        kiosk_no          INTEGER NOT NULL REFERENCES kiosks (no),
        seq               INTEGER NOT NULL,
        id                TEXT NOT NULL UNIQUE,
        scan_id           TEXT NOT NULL,
        at                INTEGER NOT NULL,
        received_at       INTEGER NOT NULL,
        original_decision TEXT NOT NULL,
        decision          TEXT NOT NULL,
        officer_id        TEXT NOT NULL,
        supervisor_id     TEXT,
        reason            TEXT NOT NULL,
        note              TEXT NOT NULL,
        UNIQUE (kiosk_no, seq)
      ) STRICT;
      CREATE INDEX overrides_scan ON overrides (scan_id);

      CREATE TABLE alerts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        at            INTEGER NOT NULL,
        received_at   INTEGER NOT NULL,
        kiosk_id      TEXT NOT NULL REFERENCES kiosks (id),
        checkpoint_id TEXT NOT NULL,
        scan_id       TEXT NOT NULL UNIQUE,
        subject_key   INTEGER,
        -- 'lane': the lane flagged it; 'server': the server's health list blocks the subject
        -- although the lane did not flag it (its list was older).
        raised_by     TEXT NOT NULL DEFAULT 'lane' CHECK (raised_by IN ('lane', 'server'))
      ) STRICT;

      CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT,
        details TEXT -- JSON
      ) STRICT;
      CREATE INDEX audit_log_at ON audit_log (at);
    `);
  },
};

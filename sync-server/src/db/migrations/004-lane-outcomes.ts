import type { Migration } from './migration.js';

/**
 * What happened at the lane after a scan, and whether the centre believes it: officers'
 * acknowledgements (`acks`), a verdict on every override and acknowledgement (`verified` 1 or 0
 * with the reason codes in `issues`; NULL while a gap in the lane's sequence below it may still
 * bring its scan), and alerts of several kinds (`health`, `replay`, `override`). Overrides
 * stored before this step were never checked: they keep `verified` NULL with the issue
 * `unchecked`, so they are neither trusted nor re-judged against today's roster.
 */
export const migration004: Migration = {
  version: 4,
  name: 'lane-outcomes',
  up(db) {
    db.exec(`
      CREATE TABLE acks (
        no          INTEGER PRIMARY KEY,
        kiosk_no    INTEGER NOT NULL REFERENCES kiosks (no),
        seq         INTEGER NOT NULL,
        id          TEXT NOT NULL UNIQUE,
        scan_id     TEXT NOT NULL,
        at          INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        decision    TEXT NOT NULL,
        note        TEXT NOT NULL,
        verified    INTEGER CHECK (verified IN (0, 1)),
        issues      TEXT, -- JSON array of reason codes (why it is not verified), NULL when none
        UNIQUE (kiosk_no, seq)
      ) STRICT;
      CREATE INDEX acks_scan ON acks (scan_id);

      ALTER TABLE overrides ADD COLUMN verified INTEGER CHECK (verified IN (0, 1));
      ALTER TABLE overrides ADD COLUMN issues TEXT;
      UPDATE overrides SET issues = '["unchecked"]';

      -- Alerts get a kind and, for a suspicious override or acknowledgement, the record that
      -- raised it: one health alert per scan, one override alert per record. SQLite cannot drop
      -- the old UNIQUE (scan_id), so the table is rebuilt (ids kept, AUTOINCREMENT continues).
      CREATE TABLE alerts_v4 (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL DEFAULT 'health' CHECK (kind IN ('health', 'replay', 'override')),
        at            INTEGER NOT NULL,
        received_at   INTEGER NOT NULL,
        kiosk_id      TEXT NOT NULL REFERENCES kiosks (id),
        checkpoint_id TEXT NOT NULL,
        scan_id       TEXT NOT NULL,
        record_id     TEXT,
        subject_key   INTEGER,
        raised_by     TEXT NOT NULL DEFAULT 'lane' CHECK (raised_by IN ('lane', 'server')),
        issues        TEXT,
        acked_at      INTEGER,
        acked_by      TEXT
      ) STRICT;
      INSERT INTO alerts_v4 (id, kind, at, received_at, kiosk_id, checkpoint_id, scan_id, subject_key, raised_by,
          acked_at, acked_by)
        SELECT id, 'health', at, received_at, kiosk_id, checkpoint_id, scan_id, subject_key, raised_by,
          acked_at, acked_by FROM alerts;
      DROP TABLE alerts;
      ALTER TABLE alerts_v4 RENAME TO alerts;
      CREATE UNIQUE INDEX alerts_health_scan ON alerts (scan_id) WHERE kind = 'health';
      CREATE UNIQUE INDEX alerts_record ON alerts (record_id) WHERE record_id IS NOT NULL;
      CREATE INDEX alerts_scan ON alerts (scan_id);
    `);
  },
};

import type { Migration } from './migration.js';

/**
 * Unattended gates (issue 17).
 * - `kiosks.gate`: the gate report (JSON, `GateReport`) of the lane's last heartbeat; NULL when it
 *   carried none.
 * - Gate alerts on `alerts`: kinds `gate_fault` (a fault held at a lane's gate: `fault` names it,
 *   `cleared_at` is set when the lane reports it gone; one open alert per lane and fault) and
 *   `gate_red` (reds at an unattended lane); neither names a scan, so `scan_id` may be NULL (only
 *   for those kinds). SQLite cannot change a CHECK or drop a NOT NULL: the table is rebuilt, ids
 *   kept and AUTOINCREMENT continuing where it was.
 */
export const migration012: Migration = {
  version: 12,
  name: 'gates',
  up(db) {
    db.exec(`
      CREATE TABLE alerts_v12 (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT NOT NULL DEFAULT 'health'
                          CHECK (kind IN ('health', 'replay', 'override', 'gate_fault', 'gate_red')),
        at              INTEGER NOT NULL,
        received_at     INTEGER NOT NULL,
        kiosk_id        TEXT NOT NULL REFERENCES kiosks (id),
        checkpoint_id   TEXT NOT NULL,
        scan_id         TEXT CHECK ((scan_id IS NULL) = (kind IN ('gate_fault', 'gate_red'))),
        record_id       TEXT,
        subject_key     INTEGER,
        raised_by       TEXT NOT NULL DEFAULT 'lane' CHECK (raised_by IN ('lane', 'server')),
        issues          TEXT,
        acked_at        INTEGER,
        acked_by        TEXT,
        related_scan_id TEXT,
        details         TEXT,
        fault           TEXT CHECK ((fault IS NULL) = (kind <> 'gate_fault')),
        cleared_at      INTEGER CHECK (cleared_at IS NULL OR kind = 'gate_fault')
      ) STRICT;
      INSERT INTO alerts_v12 (id, kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
          raised_by, issues, acked_at, acked_by, related_scan_id, details)
        SELECT id, kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
          raised_by, issues, acked_at, acked_by, related_scan_id, details FROM alerts;
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'alerts_v12', seq FROM sqlite_sequence WHERE name = 'alerts'
          AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'alerts_v12');
      UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'alerts'))
        WHERE name = 'alerts_v12' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'alerts');
      DROP TABLE alerts;
      ALTER TABLE alerts_v12 RENAME TO alerts;
      CREATE UNIQUE INDEX alerts_health_scan ON alerts (scan_id) WHERE kind = 'health';
      CREATE UNIQUE INDEX alerts_record ON alerts (record_id) WHERE record_id IS NOT NULL;
      CREATE INDEX alerts_scan ON alerts (scan_id);
      CREATE INDEX alerts_subject_held_at ON alerts (at) WHERE subject_key IS NOT NULL;
      CREATE UNIQUE INDEX alerts_replay_pair ON alerts (scan_id, related_scan_id) WHERE kind = 'replay';
      CREATE UNIQUE INDEX alerts_gate_fault_open ON alerts (kiosk_id, fault)
        WHERE kind = 'gate_fault' AND cleared_at IS NULL;

      ALTER TABLE kiosks ADD COLUMN gate TEXT;
    `);
  },
};

import type { Migration } from './migration.js';

/**
 * Contact tracing (issue 15; `store/traces-store.ts`):
 * - `scans.vehicle_id`: the vehicle a scan belongs to (the plate scan's record id; the plate scan
 *   carries its own id), NULL when none; indexed where set (`scansInVehicles`).
 * - `scans_subject_held_at`: the scans that still hold a subject (key or seal), by time: the
 *   retention job (`eraseSubjectsBefore`) finds the old ones without reading every scan, and an
 *   erased scan leaves the index.
 * - `traces`: a trace's parameters (JSON: index keys as decimal strings), status and progress.
 * - `trace_contacts`: its contacts, one per (trace, subject), with their evidence (JSON, earliest
 *   first, at most `MAX_EVIDENCE`) and `first_at` (the earliest evidence time) for paging.
 * - `trace_subjects`: the index subjects' seals (to show them in evidence).
 * A trace's contacts and subjects go with it (`ON DELETE CASCADE`).
 */
export const migration007: Migration = {
  version: 7,
  name: 'traces',
  up(db) {
    db.exec(`
      ALTER TABLE scans ADD COLUMN vehicle_id TEXT;
      CREATE INDEX scans_vehicle ON scans (vehicle_id) WHERE vehicle_id IS NOT NULL;
      CREATE INDEX scans_subject_held_at ON scans (at)
        WHERE subject_key IS NOT NULL OR subject_sealed IS NOT NULL;

      CREATE TABLE traces (
        id            TEXT PRIMARY KEY,
        created_at    INTEGER NOT NULL,
        created_by    TEXT NOT NULL,
        params        TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        progress      REAL NOT NULL DEFAULT 0,
        updated_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        error         TEXT,
        contact_count INTEGER
      ) STRICT;
      CREATE INDEX traces_created ON traces (created_at, id);

      CREATE TABLE trace_contacts (
        trace_id       TEXT NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
        subject_key    INTEGER NOT NULL,
        subject_sealed TEXT,
        format         TEXT,
        hop            INTEGER NOT NULL CHECK (hop IN (1, 2)),
        via            TEXT NOT NULL CHECK (via IN ('lane', 'vehicle')),
        evidence       TEXT NOT NULL,
        evidence_count INTEGER NOT NULL,
        first_at       INTEGER NOT NULL,
        PRIMARY KEY (trace_id, subject_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX trace_contacts_page ON trace_contacts (trace_id, hop, first_at);

      CREATE TABLE trace_subjects (
        trace_id       TEXT NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
        subject_key    INTEGER NOT NULL,
        subject_sealed TEXT,
        PRIMARY KEY (trace_id, subject_key)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};

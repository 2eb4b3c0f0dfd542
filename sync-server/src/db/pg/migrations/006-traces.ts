import type { PgMigration } from '../pg-migrate.js';

/**
 * Contact tracing (issue 15; SQLite step 007's twin; `store/traces-store.ts`):
 * - `scans.vehicle_id`: the vehicle a scan belongs to (the plate scan's record id; the plate scan
 *   carries its own id), NULL when none, indexed where set. Added on the partitioned parent, so
 *   every month already made gets it; later months are made `LIKE scans` (migration 002's
 *   `ensure_scan_partitions`) and so get it too, and attaching them adds the parent's indexes.
 * - `scans_subject_held_at`: the scans that still hold a subject (key or seal), by time, for the
 *   retention job: an erased scan leaves the index, so each run reads only what it erases.
 * - `traces`, `trace_contacts` (evidence as jsonb; `first_at` the earliest evidence time, for
 *   paging) and `trace_subjects` (the index subjects' seals); a trace's rows go with it.
 */
export const pgMigration006: PgMigration = {
  version: 6,
  name: 'traces',
  async up(client) {
    await client.query(`
      ALTER TABLE scans ADD COLUMN vehicle_id uuid;
      CREATE INDEX scans_vehicle ON scans (vehicle_id) WHERE vehicle_id IS NOT NULL;
      CREATE INDEX scans_subject_held_at ON scans (at)
        WHERE subject_key IS NOT NULL OR subject_sealed IS NOT NULL;

      CREATE TABLE traces (
        id            text PRIMARY KEY,
        created_at    bigint NOT NULL,
        created_by    text NOT NULL,
        params        jsonb NOT NULL,
        status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        progress      double precision NOT NULL DEFAULT 0,
        updated_at    bigint NOT NULL,
        finished_at   bigint,
        error         text,
        contact_count integer
      );
      CREATE INDEX traces_created ON traces (created_at, id);

      CREATE TABLE trace_contacts (
        trace_id       text NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
        subject_key    bigint NOT NULL,
        subject_sealed text,
        format         text,
        hop            smallint NOT NULL CHECK (hop IN (1, 2)),
        via            text NOT NULL CHECK (via IN ('lane', 'vehicle')),
        evidence       jsonb NOT NULL,
        evidence_count integer NOT NULL,
        first_at       bigint NOT NULL,
        PRIMARY KEY (trace_id, subject_key)
      );
      CREATE INDEX trace_contacts_page ON trace_contacts (trace_id, hop, first_at);

      CREATE TABLE trace_subjects (
        trace_id       text NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
        subject_key    bigint NOT NULL,
        subject_sealed text,
        PRIMARY KEY (trace_id, subject_key)
      );
    `);
  },
};

import type { Migration } from './migration.js';

/**
 * Checkpoint locations, pass passages, replay alerts and area-scoped accounts (issue 16).
 * - `checkpoints.lat`, `checkpoints.lon`: a checkpoint's location in degrees (both or neither).
 * - `scans.pass_id`: the lane pass a scan read (16 hex digits), NULL for other scans; indexed by
 *   (pass_id, at) for the replay check at ingest and for the arrivals' passages.
 * - `alerts.related_scan_id` and `alerts.details`: a `replay` alert is raised on the later passage
 *   (`scan_id`) and names the earlier one (`related_scan_id`); `details` holds both passages as
 *   JSON. One replay alert per pair of passages.
 * - `admin_accounts.province`: an account limited to one province (GSO code 1..99), NULL for all.
 */
export const migration011: Migration = {
  version: 11,
  name: 'replay-arrivals',
  up(db) {
    db.exec(`
      ALTER TABLE checkpoints ADD COLUMN lat REAL CHECK (lat IS NULL OR (lat BETWEEN -90 AND 90));
      ALTER TABLE checkpoints ADD COLUMN lon REAL CHECK ((lon IS NULL) = (lat IS NULL) AND (lon IS NULL OR (lon BETWEEN -180 AND 180)));

      ALTER TABLE scans ADD COLUMN pass_id TEXT CHECK (pass_id IS NULL OR length(pass_id) = 16);
      CREATE INDEX scans_pass_at ON scans (pass_id, at) WHERE pass_id IS NOT NULL;

      ALTER TABLE alerts ADD COLUMN related_scan_id TEXT;
      ALTER TABLE alerts ADD COLUMN details TEXT;
      CREATE UNIQUE INDEX alerts_replay_pair ON alerts (scan_id, related_scan_id) WHERE kind = 'replay';

      ALTER TABLE admin_accounts ADD COLUMN province INTEGER CHECK (province IS NULL OR (province BETWEEN 1 AND 99));
    `);
  },
};

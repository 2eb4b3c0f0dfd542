import type { PgMigration } from '../pg-migrate.js';

/**
 * Checkpoint locations, pass passages, replay alerts and area-scoped accounts (issue 16): the
 * twin of SQLite's migration 011 (see there). `scans.pass_id` has no CHECK here: a month's
 * partition is made `LIKE scans` without constraints and could not be attached (the upload's
 * schema admits only 16 hex digits).
 */
export const pgMigration011: PgMigration = {
  version: 11,
  name: 'replay-arrivals',
  async up(client) {
    await client.query(`
      ALTER TABLE checkpoints ADD COLUMN lat double precision CHECK (lat BETWEEN -90 AND 90),
        ADD COLUMN lon double precision CHECK (lon BETWEEN -180 AND 180),
        ADD CONSTRAINT checkpoints_location_both CHECK ((lat IS NULL) = (lon IS NULL));

      ALTER TABLE scans ADD COLUMN pass_id text;
      CREATE INDEX scans_pass_at ON scans (pass_id, at) WHERE pass_id IS NOT NULL;

      ALTER TABLE alerts ADD COLUMN related_scan_id uuid, ADD COLUMN details jsonb;
      CREATE UNIQUE INDEX alerts_replay_pair ON alerts (scan_id, related_scan_id) WHERE kind = 'replay';

      ALTER TABLE admin_accounts ADD COLUMN province integer CHECK (province BETWEEN 1 AND 99);
    `);
  },
};

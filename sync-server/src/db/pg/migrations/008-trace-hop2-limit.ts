import type { PgMigration } from '../pg-migrate.js';

/**
 * A 2-hop trace's hop 2 not run over the limit (issue 15; SQLite step 009's twin):
 * `traces.hop2_skipped`; and `alerts_subject_held_at` for the retention of alerts' subject keys.
 */
export const pgMigration008: PgMigration = {
  version: 8,
  name: 'trace-hop2-limit',
  async up(client) {
    await client.query(
      'ALTER TABLE traces ADD COLUMN hop2_skipped integer CHECK (hop2_skipped IS NULL OR hop2_skipped >= 0)',
    );
    // The alerts that still hold a subject key, by time: what retention erases, in batches.
    await client.query('CREATE INDEX alerts_subject_held_at ON alerts (at) WHERE subject_key IS NOT NULL');
  },
};

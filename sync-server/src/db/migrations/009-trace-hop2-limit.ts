import type { Migration } from './migration.js';

/**
 * A 2-hop trace whose hop 1 found more contacts than the server follows (`--trace-hop2-max`):
 * `traces.hop2_skipped` holds that limit when hop 2 was asked but not run (the trace keeps its hop-1
 * contacts), NULL otherwise. `alerts_subject_held_at`: the alerts that still hold a subject key, by
 * time, for the retention that erases it (as `scans_subject_held_at`).
 */
export const migration009: Migration = {
  version: 9,
  name: 'trace-hop2-limit',
  up(db) {
    db.exec(`
      ALTER TABLE traces ADD COLUMN hop2_skipped INTEGER CHECK (hop2_skipped IS NULL OR hop2_skipped >= 0);
      CREATE INDEX alerts_subject_held_at ON alerts (at) WHERE subject_key IS NOT NULL;
    `);
  },
};

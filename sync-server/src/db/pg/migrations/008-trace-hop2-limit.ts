import type { PgMigration } from '../pg-migrate.js';

/** A 2-hop trace's hop 2 not run over the limit (issue 15; SQLite step 009's twin): `traces.hop2_skipped`. */
export const pgMigration008: PgMigration = {
  version: 8,
  name: 'trace-hop2-limit',
  async up(client) {
    await client.query(
      'ALTER TABLE traces ADD COLUMN hop2_skipped integer CHECK (hop2_skipped IS NULL OR hop2_skipped >= 0)',
    );
  },
};

import type { PgMigration } from '../pg-migrate.js';

/** Vehicle mode per checkpoint (issue 15; SQLite step 008's twin): `checkpoints.vehicle_mode`. */
export const pgMigration007: PgMigration = {
  version: 7,
  name: 'vehicle-mode',
  async up(client) {
    await client.query('ALTER TABLE checkpoints ADD COLUMN vehicle_mode boolean NOT NULL DEFAULT false');
  },
};

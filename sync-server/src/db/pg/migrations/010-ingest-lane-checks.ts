import type { PgMigration } from '../pg-migrate.js';

/**
 * Scan ingest without a foreign-key check per row (PostgreSQL only; no SQLite twin).
 *
 * `scans.kiosk_no` and `lane_records.kiosk_no` referenced `kiosks (no)`: PostgreSQL checks such a
 * key with a trigger per inserted row (a lookup and a row lock on the lane's `kiosks` row), 500
 * of them for a batch of 500 records. The upload that inserts those rows has already locked that
 * very row `FOR UPDATE` (`PgScansStore.ingest`, which takes `kiosk_no` from it), and lanes are
 * revoked, never deleted, so the check could never fail. Measured in docs/benchmarks.md
 * ("Fleet ingest, third pass"). Overrides, acknowledgements and alerts keep theirs (few rows).
 */
export const pgMigration010: PgMigration = {
  version: 10,
  name: 'ingest-lane-checks',
  async up(client) {
    await client.query('ALTER TABLE scans DROP CONSTRAINT scans_kiosk_no_fkey');
    await client.query('ALTER TABLE lane_records DROP CONSTRAINT lane_records_kiosk_no_fkey');
  },
};

import type { PgMigration } from '../pg-migrate.js';

/**
 * Gate fault flaps (issue 17; SQLite step 013's twin): `alerts_gate_fault_last`, the lane's last
 * alert of a fault in one probe, which a returning fault reopens when it cleared moments ago.
 */
export const pgMigration013: PgMigration = {
  version: 13,
  name: 'gate-fault-flaps',
  async up(client) {
    await client.query(
      `CREATE INDEX alerts_gate_fault_last ON alerts (kiosk_id, fault, id) WHERE kind = 'gate_fault'`,
    );
  },
};

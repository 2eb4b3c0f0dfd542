import type { PgMigration } from '../pg-migrate.js';

/**
 * Unattended gates (issue 17): the twin of SQLite's migration 012 (see there): `kiosks.gate`
 * (the last heartbeat's gate report), gate alert kinds with no scan, `alerts.fault` and
 * `alerts.cleared_at`, one open `gate_fault` alert per lane and fault.
 */
export const pgMigration012: PgMigration = {
  version: 12,
  name: 'gates',
  async up(client) {
    await client.query(`
      ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check,
        ADD CONSTRAINT alerts_kind_check
          CHECK (kind IN ('health', 'replay', 'override', 'gate_fault', 'gate_red')),
        ALTER COLUMN scan_id DROP NOT NULL,
        ADD COLUMN fault text,
        ADD COLUMN cleared_at bigint,
        ADD CONSTRAINT alerts_gate_scan CHECK ((scan_id IS NULL) = (kind IN ('gate_fault', 'gate_red'))),
        ADD CONSTRAINT alerts_gate_fault CHECK ((fault IS NULL) = (kind <> 'gate_fault')),
        ADD CONSTRAINT alerts_gate_cleared CHECK (cleared_at IS NULL OR kind = 'gate_fault');
      CREATE UNIQUE INDEX alerts_gate_fault_open ON alerts (kiosk_id, fault)
        WHERE kind = 'gate_fault' AND cleared_at IS NULL;

      ALTER TABLE kiosks ADD COLUMN gate jsonb;
    `);
  },
};

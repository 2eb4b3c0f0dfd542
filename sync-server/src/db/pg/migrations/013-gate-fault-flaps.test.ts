import { describe, expect, it } from 'vitest';
import { pgUnavailable, useTestDatabase } from '../pg-database.testkit.js';
import { runPgMigrations } from '../pg-migrate.js';
import { PG_MIGRATIONS } from '../pg-migrations.js';
import { pgMigration013 } from './013-gate-fault-flaps.js';

const skip = await pgUnavailable();

describe.skipIf(skip !== null)('PostgreSQL migration 013 (gate fault flaps)', () => {
  const fresh = useTestDatabase();

  it('indexes gate_fault alerts by lane, fault and id', async () => {
    expect(PG_MIGRATIONS[12]).toBe(pgMigration013);
    const pool = await fresh().open();
    await runPgMigrations(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 13),
    );
    const index = () =>
      pool.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'alerts' AND indexname = 'alerts_gate_fault_last'",
      );
    expect((await index()).rows).toEqual([]);
    await runPgMigrations(pool, PG_MIGRATIONS);
    expect((await index()).rows.map((r) => r.indexdef)).toEqual([
      "CREATE INDEX alerts_gate_fault_last ON public.alerts USING btree (kiosk_id, fault, id) WHERE (kind = 'gate_fault'::text)",
    ]);
  });
});

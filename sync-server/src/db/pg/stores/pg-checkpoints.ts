import {
  DEFAULT_KEY_SCOPE,
  type CheckpointConfig,
  type CheckpointLocation,
  type CheckpointView,
  type HealthStatus,
} from '@checkpoint-lane/shared';
import type { CheckpointsStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';

interface Row {
  id: string;
  name: string;
  mode: 'open' | 'closed';
  freshness_budget_sec: number;
  blocking_statuses: HealthStatus[];
  repeat_window_sec: number;
  key_scope: string | null;
  vehicle_mode: boolean;
  lat: number | null;
  lon: number | null;
}

const COLUMNS =
  'id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, key_scope, vehicle_mode, lat, lon';

const toConfig = (r: Row): CheckpointConfig => ({
  id: r.id,
  name: r.name,
  mode: r.mode,
  freshnessBudgetSec: r.freshness_budget_sec,
  blockingStatuses: r.blocking_statuses,
  repeatWindowSec: r.repeat_window_sec,
  // Only when on: lanes and signatures of before vehicle mode see the config they knew.
  ...(r.vehicle_mode && { vehicleMode: true }),
});

const toView = (r: Row): CheckpointView => ({
  ...toConfig(r),
  keyScope: r.key_scope ?? DEFAULT_KEY_SCOPE,
  location: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
});

/**
 * Inserts or updates a checkpoint in one statement; `created` says which (a row inserted by this
 * statement has no xmax). `$8` is the scope to store (NULL: `fleet`) and `$9` whether to store it
 * on an update; a new checkpoint always gets `$8`.
 */
const UPSERT = `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
     key_scope, vehicle_mode, created_at, updated_at)
   VALUES ($1, $2, $3, $4, $5::jsonb, $6, $8, $10, $7, $7)
   ON CONFLICT (id) DO UPDATE SET name = excluded.name, mode = excluded.mode,
     freshness_budget_sec = excluded.freshness_budget_sec, blocking_statuses = excluded.blocking_statuses,
     repeat_window_sec = excluded.repeat_window_sec, vehicle_mode = excluded.vehicle_mode,
     updated_at = excluded.updated_at,
     key_scope = CASE WHEN $9::boolean THEN excluded.key_scope ELSE checkpoints.key_scope END
   RETURNING (xmax = 0) AS created, key_scope`;

async function upsert(
  q: Queryable,
  c: CheckpointConfig,
  now: number,
  keyScope: string | undefined,
): Promise<{ created: boolean; key_scope: string | null }> {
  const r = await q.query<{ created: boolean; key_scope: string | null }>(UPSERT, [
    c.id,
    c.name,
    c.mode,
    c.freshnessBudgetSec,
    JSON.stringify(c.blockingStatuses),
    c.repeatWindowSec,
    now,
    keyScope === undefined || keyScope === DEFAULT_KEY_SCOPE ? null : keyScope,
    keyScope !== undefined,
    c.vehicleMode === true,
  ]);
  const row = r.rows[0];
  if (row === undefined) throw new Error('checkpoint upsert returned no row');
  return row;
}

/** Checkpoints and their decision settings in PostgreSQL (`fleet` stored as no key scope). */
export class PgCheckpointsStore implements CheckpointsStore {
  constructor(private readonly pool: PgPool) {}

  /**
   * An admin's create or update, audited (`checkpoint.create|update`, the config and the key
   * scope as details) in one transaction; true if created. `keyScope` unset keeps the
   * checkpoint's scope (a new one gets `fleet`); `location` unset keeps the checkpoint's, null
   * removes it.
   */
  save(
    c: CheckpointConfig,
    now: number,
    actor: string,
    keyScope?: string,
    location?: CheckpointLocation | null,
  ): Promise<boolean> {
    return withPgTransaction(this.pool, async (client) => {
      const { created, key_scope } = await upsert(client, c, now, keyScope);
      if (location !== undefined) {
        await client.query('UPDATE checkpoints SET lat = $1, lon = $2 WHERE id = $3', [
          location?.lat ?? null,
          location?.lon ?? null,
          c.id,
        ]);
      }
      await insertAudit(client, {
        at: now,
        actor,
        action: created ? 'checkpoint.create' : 'checkpoint.update',
        target: c.id,
        details: {
          ...c,
          keyScope: key_scope ?? DEFAULT_KEY_SCOPE,
          ...(location !== undefined && { location }),
        },
      });
      return created;
    });
  }

  /** Creates or updates a checkpoint (its key scope untouched); true if it was created. */
  async upsert(c: CheckpointConfig, now: number): Promise<boolean> {
    return (await upsert(this.pool, c, now, undefined)).created;
  }

  /** One checkpoint's config, or null. */
  async get(id: string): Promise<CheckpointConfig | null> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM checkpoints WHERE id = $1`, [id]);
    return r.rows[0] ? toConfig(r.rows[0]) : null;
  }

  /** Every checkpoint, by id (byte order, as SQLite sorts). */
  async list(): Promise<CheckpointConfig[]> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM checkpoints ORDER BY id COLLATE "C"`);
    return r.rows.map(toConfig);
  }

  /** One checkpoint as the admin API shows it (its config and key scope), or null. */
  async view(id: string): Promise<CheckpointView | null> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM checkpoints WHERE id = $1`, [id]);
    return r.rows[0] ? toView(r.rows[0]) : null;
  }

  /** Every checkpoint as the admin API shows it, by id. */
  async views(): Promise<CheckpointView[]> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM checkpoints ORDER BY id COLLATE "C"`);
    return r.rows.map(toView);
  }
}

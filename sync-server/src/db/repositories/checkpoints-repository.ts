import {
  DEFAULT_KEY_SCOPE,
  type CheckpointConfig,
  type CheckpointLocation,
  type CheckpointView,
  type HealthStatus,
} from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import { AuditRepository } from './audit-repository.js';

interface Row {
  id: string;
  name: string;
  mode: 'open' | 'closed';
  freshness_budget_sec: number;
  blocking_statuses: string;
  repeat_window_sec: number;
  key_scope: string | null;
  vehicle_mode: number;
  lat: number | null;
  lon: number | null;
}

const toConfig = (r: Row): CheckpointConfig => ({
  id: r.id,
  name: r.name,
  mode: r.mode,
  freshnessBudgetSec: r.freshness_budget_sec,
  blockingStatuses: JSON.parse(r.blocking_statuses) as HealthStatus[],
  repeatWindowSec: r.repeat_window_sec,
  // Only when on: lanes and signatures of before vehicle mode see the config they knew.
  ...(r.vehicle_mode === 1 && { vehicleMode: true }),
});

const toView = (r: Row): CheckpointView => ({
  ...toConfig(r),
  keyScope: r.key_scope ?? DEFAULT_KEY_SCOPE,
  location: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
});

/** Checkpoints and their decision settings. */
export class CheckpointsRepository {
  constructor(
    private readonly db: Db,
    private readonly audit = new AuditRepository(db),
  ) {}

  /**
   * An admin's create or update, audited (`checkpoint.create|update`, the config and the key
   * scope as details); true if created. `keyScope` unset keeps the checkpoint's scope (a new one
   * gets `fleet`); `fleet` is stored as no scope. `location` unset keeps the checkpoint's, null
   * removes it.
   */
  save(
    c: CheckpointConfig,
    now: number,
    actor: string,
    keyScope?: string,
    location?: CheckpointLocation | null,
  ): boolean {
    return this.db.transaction(() => {
      const created = this.upsert(c, now);
      if (keyScope !== undefined) {
        this.db
          .prepare('UPDATE checkpoints SET key_scope = ? WHERE id = ?')
          .run(keyScope === DEFAULT_KEY_SCOPE ? null : keyScope, c.id);
      }
      if (location !== undefined) {
        this.db
          .prepare('UPDATE checkpoints SET lat = ?, lon = ? WHERE id = ?')
          .run(location?.lat ?? null, location?.lon ?? null, c.id);
      }
      const view = this.view(c.id);
      const details = {
        ...c,
        keyScope: view?.keyScope ?? DEFAULT_KEY_SCOPE,
        ...(location !== undefined && { location }),
      };
      this.audit.record(now, actor, created ? 'checkpoint.create' : 'checkpoint.update', c.id, details);
      return created;
    })();
  }

  /** Creates or updates a checkpoint; true if it was created. */
  upsert(c: CheckpointConfig, now: number): boolean {
    const existed = this.get(c.id) !== null;
    this.db
      .prepare(
        `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
           vehicle_mode, created_at, updated_at)
         VALUES (@id, @name, @mode, @freshnessBudgetSec, @blocking, @repeatWindowSec, @vehicleMode, @now, @now)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, mode = excluded.mode,
           freshness_budget_sec = excluded.freshness_budget_sec, blocking_statuses = excluded.blocking_statuses,
           repeat_window_sec = excluded.repeat_window_sec, vehicle_mode = excluded.vehicle_mode,
           updated_at = excluded.updated_at`,
      )
      .run({
        id: c.id,
        name: c.name,
        mode: c.mode,
        freshnessBudgetSec: c.freshnessBudgetSec,
        blocking: JSON.stringify(c.blockingStatuses),
        repeatWindowSec: c.repeatWindowSec,
        vehicleMode: c.vehicleMode === true ? 1 : 0,
        now,
      });
    return !existed;
  }

  /** One checkpoint's config, or null. */
  get(id: string): CheckpointConfig | null {
    const r = this.db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as Row | undefined;
    return r ? toConfig(r) : null;
  }

  /** Every checkpoint, by id. */
  list(): CheckpointConfig[] {
    return (this.db.prepare('SELECT * FROM checkpoints ORDER BY id').all() as Row[]).map(toConfig);
  }

  /** One checkpoint as the admin API shows it (its config and key scope), or null. */
  view(id: string): CheckpointView | null {
    const r = this.db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as Row | undefined;
    return r ? toView(r) : null;
  }

  /** Every checkpoint as the admin API shows it, by id. */
  views(): CheckpointView[] {
    return (this.db.prepare('SELECT * FROM checkpoints ORDER BY id').all() as Row[]).map(toView);
  }
}

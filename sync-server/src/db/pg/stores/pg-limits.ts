import { limitKeyHash, type LimitHit, type LimitsStore } from '../../store/limits-store.js';
import type { PgPool } from '../open-pg.js';

// One statement, atomic under concurrent servers: a new key is inserted, a taken one updated
// (ON CONFLICT waits for the other writer and updates its row). An ended window starts again.
const HIT = `
  INSERT INTO limit_counters AS c (bucket, key_hash, count, reset_at, expires_at)
  VALUES ($1, $2, 1, $3::bigint + $4::bigint, $3::bigint + $4::bigint)
  ON CONFLICT (bucket, key_hash) DO UPDATE SET
    count      = CASE WHEN c.reset_at <= $3 THEN 1 ELSE c.count + 1 END,
    reset_at   = CASE WHEN c.reset_at <= $3 THEN $3::bigint + $4::bigint ELSE c.reset_at END,
    expires_at = GREATEST(CASE WHEN c.reset_at <= $3 THEN $3::bigint + $4::bigint ELSE c.reset_at END,
                          c.locked_until)
  RETURNING count, reset_at`;

const LOCK = `
  INSERT INTO limit_counters AS c (bucket, key_hash, count, reset_at, locked_until, expires_at)
  VALUES ($1, $2, 0, 0, $3, $3)
  ON CONFLICT (bucket, key_hash) DO UPDATE SET
    count        = 0,
    locked_until = GREATEST(c.locked_until, $3),
    expires_at   = GREATEST(c.reset_at, c.locked_until, $3)`;

/** How often (ms) one server sweeps ended counters as it counts hits. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The fleet's shared counters in PostgreSQL's `limit_counters` table (migration 005): every
 * server counts into the same rows, keys stored as their SHA-256. Ended rows are swept at most
 * once a minute per server, after a hit, and by `sweep` (the store's daily upkeep).
 */
export class PgLimitsStore implements LimitsStore {
  #lastSweep = 0;

  constructor(private readonly pool: PgPool) {}

  async hit(bucket: string, key: string, now: number, windowMs: number): Promise<LimitHit> {
    const r = await this.pool.query<{ count: number; reset_at: number }>(HIT, [
      bucket,
      limitKeyHash(key),
      now,
      windowMs,
    ]);
    const row = r.rows[0];
    if (row === undefined) throw new Error('limit_counters upsert returned no row');
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      // Not awaited: the hit's answer does not depend on it; a failed sweep is retried a minute on.
      this.sweep(now).catch(() => undefined);
    }
    return { count: row.count, resetAt: row.reset_at };
  }

  async lock(bucket: string, key: string, until: number): Promise<void> {
    await this.pool.query(LOCK, [bucket, limitKeyHash(key), until]);
  }

  async lockedUntil(bucket: string, key: string, now: number): Promise<number | null> {
    const r = await this.pool.query<{ locked_until: number }>(
      'SELECT locked_until FROM limit_counters WHERE bucket = $1 AND key_hash = $2 AND locked_until > $3',
      [bucket, limitKeyHash(key), now],
    );
    return r.rows[0]?.locked_until ?? null;
  }

  async sweep(now: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM limit_counters WHERE expires_at <= $1', [now]);
    return r.rowCount ?? 0;
  }
}

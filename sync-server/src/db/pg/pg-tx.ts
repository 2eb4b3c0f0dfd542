import type pg from 'pg';
import type { AuditEntry } from '../store/store.js';
import type { PgPool } from './open-pg.js';

/** A pool or a client checked out of it: what a statement runs on. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface PgTransactionOptions {
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readonly readOnly?: boolean;
}

/**
 * Runs `fn` in one transaction on a client checked out of the pool: `BEGIN … COMMIT`, rolled
 * back when `fn` throws (the error is rethrown), the client released either way (destroyed when
 * the rollback itself failed, so a broken connection never goes back to the pool).
 */
export async function withPgTransaction<T>(
  pool: PgPool,
  fn: (client: pg.PoolClient) => Promise<T>,
  opts: PgTransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const mode = [
      opts.isolation ? `ISOLATION LEVEL ${opts.isolation.toUpperCase()}` : '',
      opts.readOnly === true ? 'READ ONLY' : '',
    ]
      .filter((m) => m !== '')
      .join(' ');
    await client.query(mode === '' ? 'BEGIN' : `BEGIN ${mode}`);
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

/** Writes one audit record (in the caller's transaction when `q` is a transaction's client). */
export async function insertAudit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query('INSERT INTO audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)', [
    e.at,
    e.actor,
    e.action,
    e.target,
    e.details === undefined || e.details === null ? null : JSON.stringify(e.details),
  ]);
}

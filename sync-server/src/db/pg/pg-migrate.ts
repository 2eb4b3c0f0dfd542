import type pg from 'pg';
import type { PgPool } from './open-pg.js';

/** One forward-only schema step of the PostgreSQL database. */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  /** Runs inside the step's transaction (the runner begins and commits it). */
  up(client: pg.ClientBase): Promise<void>;
}

/**
 * The advisory lock every migrator takes before it reads which steps are applied (one 64-bit key,
 * the bytes of "cl-migr"): a second server that starts at the same time waits until the first has
 * finished, then finds nothing left to do.
 */
export const MIGRATION_LOCK_KEY = 0x636c2d6d69677200n;

export interface PgMigrationResult {
  /** The schema version after the run. */
  readonly version: number;
  /** The versions this run applied (empty when the database was up to date). */
  readonly applied: readonly number[];
}

/** Refuses a list of steps that is not numbered 1, 2, 3 … in order. */
function checkNumbering(migrations: readonly PgMigration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`PostgreSQL migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
    }
  });
}

/**
 * Brings a PostgreSQL database up to date: under a session advisory lock, creates
 * `schema_migrations` if missing, refuses a database that has a step this server does not know
 * (a newer server migrated it) or a step of the same number under another name, then applies each
 * missing step in its own transaction that also records it. A step that fails rolls back alone;
 * the steps before it stay applied.
 */
export async function runPgMigrations(
  pool: PgPool,
  migrations: readonly PgMigration[],
): Promise<PgMigrationResult> {
  checkNumbering(migrations);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer PRIMARY KEY,
          name       text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      const latest = migrations.at(-1)?.version ?? 0;
      for (const row of rows) {
        if (row.version > latest) {
          throw new Error(
            `database schema ${rows.at(-1)?.version} is newer than this server (${latest}); upgrade the server`,
          );
        }
        const known = migrations[row.version - 1];
        if (known?.name !== row.name) {
          throw new Error(
            `database step ${row.version} is "${row.name}" but this server's step ${row.version} is "${known?.name}"`,
          );
        }
      }
      const done = new Set(rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await m.up(client);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          const reason = err instanceof Error ? err.message : String(err);
          throw new Error(`PostgreSQL migration ${m.version}-${m.name} failed: ${reason}`, { cause: err });
        }
        applied.push(m.version);
      }
      return { version: Math.max(0, ...done, ...applied), applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {
        broken = true;
      });
    }
  } finally {
    // A connection whose rollback or unlock failed is discarded, not handed back to the pool.
    client.release(broken);
  }
}

/** The schema version recorded in `schema_migrations` (0 for a database never migrated). */
export async function pgSchemaVersion(pool: PgPool): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>(
    `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 END AS v`,
  );
  if (rows[0]?.v === 0) return 0;
  const max = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return max.rows[0]?.v ?? 0;
}

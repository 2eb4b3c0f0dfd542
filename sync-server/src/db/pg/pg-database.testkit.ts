// Test kit: a fresh PostgreSQL database per test file (or per call), named with a random suffix
// and dropped afterwards, on the server named by CHECKPOINT_TEST_PG_URL (default: user postgres on
// 127.0.0.1:5432, as scripts/start-postgres.sh sets it up). When that server does not answer, the
// tests are skipped with the reason, unless CHECKPOINT_REQUIRE_PG or CI is set: then they fail.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { describeUrl, openPg, type OpenPgOptions, type PgPool } from './open-pg.js';

/** The maintenance database the kit creates and drops test databases from. */
export const TEST_PG_URL =
  process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether an unreachable PostgreSQL fails the tests instead of skipping them. */
export function pgRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v !== 'false';
  return set(env.CHECKPOINT_REQUIRE_PG) || set(env.CI);
}

let probe: Promise<string | null> | undefined;

/**
 * Why the PostgreSQL tests cannot run here, or null when they can. Throws instead when
 * PostgreSQL is required (CHECKPOINT_REQUIRE_PG or CI set), so CI never skips them silently.
 */
export async function pgUnavailable(): Promise<string | null> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      const reason = err instanceof Error ? err.message || err.name : String(err);
      return `PostgreSQL at ${describeUrl(TEST_PG_URL)} did not answer (${reason})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  const reason = await probe;
  if (reason === null) return null;
  if (pgRequired()) {
    throw new Error(
      `${reason}; CHECKPOINT_REQUIRE_PG/CI is set, so this fails (run scripts/start-postgres.sh)`,
    );
  }
  const message = `PostgreSQL tests skipped: ${reason}. Run scripts/start-postgres.sh; set CHECKPOINT_REQUIRE_PG=1 to fail instead`;
  console.warn(message);
  return message;
}

/** A database created for a test, and how to reach and drop it. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Opens a pool on it (closed by {@link TestDatabase.drop}). */
  open(options?: Omit<OpenPgOptions, 'url'>): Promise<PgPool>;
  /** Closes every pool opened through {@link TestDatabase.open} and drops the database. */
  drop(): Promise<void>;
}

async function onMaintenance<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database `cl_test_<random hex>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `cl_test_${randomBytes(6).toString('hex')}`;
  await onMaintenance((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const pools: PgPool[] = [];
  return {
    name,
    url: url.toString(),
    async open(options = {}) {
      const pool = await openPg({ ...options, url: url.toString() });
      pools.push(pool);
      return pool;
    },
    async drop() {
      await Promise.all(pools.splice(0).map((p) => p.end().catch(() => undefined)));
      await onMaintenance((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * One fresh database for the test file: created before its tests, dropped after them. Call it at
 * the top of a `describe` that is skipped when {@link pgUnavailable} gives a reason.
 */
export function useTestDatabase(): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is created in beforeAll: use it inside a test');
    return db;
  };
}

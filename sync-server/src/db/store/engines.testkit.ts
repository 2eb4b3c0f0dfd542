// Contract-test kit: the same tests against each engine. SQLite: a fresh in-memory database with
// the server's migrations; PostgreSQL: a fresh database (pg-database.testkit.ts) with the fleet
// migrations. `describeEngines` runs its body once per engine; the PostgreSQL run is skipped
// only where pgUnavailable() allows it (never in CI).
import { afterAll, describe } from 'vitest';
import { openDatabase, type Db } from '../open-database.js';
import type { PgPool } from '../pg/open-pg.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../pg/pg-database.testkit.js';
import { runPgMigrations } from '../pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../pg/pg-migrations.js';
import type { StoreEngine } from './store.js';

/** A fresh, migrated database of one engine. */
export type EngineDb =
  | { readonly engine: 'sqlite'; readonly db: Db; close(): Promise<void> }
  | { readonly engine: 'postgres'; readonly pool: PgPool; close(): Promise<void> };

const pgSkip = await pgUnavailable();

/** Opens a fresh, migrated database of `engine` (close it after). */
export async function openEngine(engine: StoreEngine): Promise<EngineDb> {
  if (engine === 'sqlite') {
    const db = openDatabase(':memory:');
    return {
      engine,
      db,
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const test: TestDatabase = await createTestDatabase();
  const pool = await test.open();
  await runPgMigrations(pool, PG_MIGRATIONS);
  return { engine, pool, close: () => test.drop() };
}

/**
 * Runs `body` once per engine, in a `describe` named `title [engine]`. `open` gives a fresh
 * database each call; every database opened is closed after the engine's tests.
 */
export function describeEngines(
  title: string,
  body: (ctx: { readonly engine: StoreEngine; open: () => Promise<EngineDb> }) => void,
): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    describe.skipIf(engine === 'postgres' && pgSkip !== null)(`${title} [${engine}]`, () => {
      const opened: EngineDb[] = [];
      // Dropping databases waits for their connections to end: slow on a loaded machine.
      afterAll(async () => {
        await Promise.all(opened.splice(0).map((d) => d.close()));
      }, 120_000);
      body({
        engine,
        open: async () => {
          const d = await openEngine(engine);
          opened.push(d);
          return d;
        },
      });
    });
  }
}

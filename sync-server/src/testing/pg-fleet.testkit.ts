// Two servers of a fleet in one test process: two Fastify apps, each with its own pool and
// store, on one fresh, migrated PostgreSQL database (fleet mode without processes).
import type { ServerOptions } from '../app.js';
import { buildServer } from '../app.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { createTestDatabase, type TestDatabase } from '../db/pg/pg-database.testkit.js';
import { runPgMigrations } from '../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../db/pg/pg-migrations.js';
import { openPgStore } from '../db/pg/pg-store.js';
import type { App } from '../routes/schemas.js';

export interface Fleet {
  readonly a: App;
  readonly b: App;
  readonly admin: { authorization: string };
  close(): Promise<void>;
}

/** Two servers on one fresh, migrated database, sharing the admin token, list key and clock. */
export async function buildFleet(options: Partial<ServerOptions> & { clock: () => number }): Promise<Fleet> {
  const db: TestDatabase = await createTestDatabase();
  const apps: App[] = [];
  const adminToken = generateToken();
  try {
    await runPgMigrations(await db.open(), PG_MIGRATIONS);
    const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    for (const name of ['server-a', 'server-b']) {
      const pool = await db.open({ applicationName: name });
      const store = await openPgStore(pool, { indexKey: listKey, clock: options.clock, closePool: false });
      apps.push(
        await buildServer({
          store,
          adminTokenHash: hashToken(adminToken),
          listKey,
          snapshotDir: null,
          logger: false,
          ...options,
        }),
      );
    }
  } catch (err) {
    await Promise.all(apps.map((app) => app.close()));
    await db.drop();
    throw err;
  }
  const [a, b] = apps as [App, App];
  return {
    a,
    b,
    admin: { authorization: `Bearer ${adminToken}` },
    async close() {
      await a.close();
      await b.close();
      await db.drop();
    },
  };
}

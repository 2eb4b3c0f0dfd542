import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, type ServerOptions } from '../app.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { openDatabase } from '../db/open-database.js';
import type { App } from '../routes/schemas.js';

/** A server on a fresh SQLite file in a temp dir, for route tests (`app.inject()`). */
export interface TestApp {
  readonly app: App;
  readonly dir: string;
  readonly adminToken: string;
  readonly listKey: Buffer;
  /** `Authorization` header for the admin. */
  readonly admin: { authorization: string };
  close(): Promise<void>;
}

/** Builds the app on a temp database; `close()` stops it and removes the directory. */
export async function buildTestApp(overrides: Partial<ServerOptions> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-server-'));
  const db = openDatabase(join(dir, 'server.db'));
  const adminToken = generateToken();
  const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const app = await buildServer({
    db,
    adminTokenHash: hashToken(adminToken),
    listKey,
    snapshotDir: join(dir, 'snapshots'),
    logger: false,
    ...overrides,
  });
  return {
    app,
    dir,
    adminToken,
    listKey,
    admin: { authorization: `Bearer ${adminToken}` },
    async close() {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

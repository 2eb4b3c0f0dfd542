import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, type ServerOptions } from '../app.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { openDatabase, type Db } from '../db/open-database.js';
import type { PgPool } from '../db/pg/open-pg.js';
import { createTestDatabase, type TestDatabase } from '../db/pg/pg-database.testkit.js';
import { runPgMigrations } from '../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../db/pg/pg-migrations.js';
import { openPgStore } from '../db/pg/pg-store.js';
import type { OpenedStore } from '../db/store/sqlite-store.js';
import { PgSettingsStore } from '../db/pg/stores/pg-settings.js';
import { FLEET_KEY_SETTING, newFleetKey } from '../events/fleet-bus.js';
import { PgFleetBus } from '../events/pg-fleet-bus.js';
import type { App } from '../routes/schemas.js';

/** The database engine a test app runs on. */
export type TestEngine = 'sqlite' | 'postgres';

/** What every test app has, whatever its engine (what the helpers below take). */
export interface BaseTestApp {
  readonly engine: TestEngine;
  readonly app: App;
  /** A temp directory removed on close (SQLite: the database and snapshots are in it). */
  readonly dir: string;
  readonly adminToken: string;
  readonly listKey: Buffer;
  /** `Authorization` header for the admin. */
  readonly admin: { authorization: string };
  close(): Promise<void>;
}

/** A server on a fresh SQLite file in a temp dir, for route tests (`app.inject()`). */
export interface TestApp extends BaseTestApp {
  readonly engine: 'sqlite';
  /** The SQLite database the server runs on (for tests that look inside). */
  readonly db: Db;
}

/** A server on a fresh PostgreSQL database with a started `PgFleetBus` (fleet mode). */
export interface PgTestApp extends BaseTestApp {
  readonly engine: 'postgres';
  /** The test database (dropped on close). */
  readonly database: TestDatabase;
  /** The pool the store runs on. */
  readonly pool: PgPool;
  readonly store: OpenedStore;
  readonly bus: PgFleetBus;
}

/** A test app on either engine. */
export type AnyTestApp = TestApp | PgTestApp;

/** Server options, and the engine (default `sqlite`). */
export type TestAppOptions = Partial<ServerOptions> & { readonly engine?: TestEngine };

/**
 * Builds the app on a fresh database: a temp SQLite file (default), or with `engine: 'postgres'`
 * a fresh test database, migrated, with the store and a started `PgFleetBus` on it. `close()`
 * stops the app and removes the directory; on PostgreSQL it also closes the bus and the store and
 * drops the database.
 */
export async function buildTestApp(
  options?: Partial<ServerOptions> & { readonly engine?: 'sqlite' },
): Promise<TestApp>;
export async function buildTestApp(
  options: Partial<ServerOptions> & { readonly engine: 'postgres' },
): Promise<PgTestApp>;
export async function buildTestApp(options?: TestAppOptions): Promise<AnyTestApp>;
export async function buildTestApp(options: TestAppOptions = {}): Promise<AnyTestApp> {
  const { engine = 'sqlite', ...overrides } = options;
  const dir = mkdtempSync(join(tmpdir(), 'cl-server-'));
  const adminToken = generateToken();
  const listKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const base = {
    adminTokenHash: hashToken(adminToken),
    listKey,
    snapshotDir: join(dir, 'snapshots'),
    logger: false as const,
  };
  const common = { dir, adminToken, listKey, admin: { authorization: `Bearer ${adminToken}` } };
  if (engine === 'sqlite') {
    const db = openDatabase(join(dir, 'server.db'));
    const app = await buildServer({ db, ...base, ...overrides });
    return {
      engine,
      app,
      db,
      ...common,
      async close() {
        await app.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase();
  let bus: PgFleetBus | undefined;
  let store: OpenedStore | undefined;
  try {
    const pool = await database.open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    bus = new PgFleetBus({
      url: database.url,
      pool,
      key: await new PgSettingsStore(pool).getOrCreate(FLEET_KEY_SETTING, newFleetKey),
    });
    await bus.start();
    // The pool is the test database's: dropping the database ends it.
    store = await openPgStore(pool, {
      indexKey: listKey,
      clock: overrides.clock ?? Date.now,
      closePool: false,
    });
    const app = await buildServer({ store, bus, ...base, ...overrides });
    const opened = { bus, store };
    return {
      engine,
      app,
      database,
      pool,
      ...opened,
      ...common,
      async close() {
        try {
          await app.close();
          await opened.bus.close();
          await opened.store.close();
        } finally {
          await database.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await bus?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Creates a checkpoint through the admin API. */
export async function addCheckpoint(
  t: BaseTestApp,
  id: string,
  mode: 'open' | 'closed' = 'open',
  extra: Record<string, unknown> = {},
): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/checkpoints',
    headers: t.admin,
    payload: { id, name: `Checkpoint ${id}`, mode, ...extra },
  });
  if (res.statusCode >= 300) throw new Error(`addCheckpoint: ${res.statusCode} ${res.body}`);
}

/** An enrolled lane: its id, token and ready-made auth header. */
export interface TestKiosk {
  readonly kioskId: string;
  readonly token: string;
  readonly auth: { authorization: string };
}

/** Makes an enrollment code and enrolls a lane with it. */
export async function enrollKiosk(t: BaseTestApp, checkpointId: string, name = 'Lane 1'): Promise<TestKiosk> {
  const code = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/enrollments',
    headers: t.admin,
    payload: { checkpointId },
  });
  const enrolled = await t.app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/enroll',
    payload: { code: code.json<{ code: string }>().code, name },
  });
  if (enrolled.statusCode !== 201) throw new Error(`enrollKiosk: ${enrolled.statusCode} ${enrolled.body}`);
  const body = enrolled.json<{ kioskId: string; token: string }>();
  return { kioskId: body.kioskId, token: body.token, auth: { authorization: `Bearer ${body.token}` } };
}

/** Posts a CSV to a list import. */
export async function importCsv(
  t: BaseTestApp,
  list: 'health' | 'whitelist',
  csv: string | Buffer,
  query = '',
) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/lists/${list}/import${query}`,
    headers: { ...t.admin, 'content-type': 'text/csv' },
    payload: csv,
  });
}

/** A valid scan record for upload tests. */
export function scanRecord(seq: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const hex = seq.toString(16).padStart(12, '0');
  return {
    type: 'scan',
    seq,
    id: `01890a5d-ac96-7000-8000-${hex}`,
    at: 1_700_000_000_000 + seq,
    source: 'simulated',
    format: 'personal_id',
    subjectKey: '00000000000000' + (seq % 256).toString(16).padStart(2, '0'),
    subjectSealed: null,
    decision: 'green',
    reasons: ['not_flagged'],
    warnings: [],
    alert: false,
    ...extra,
  };
}

/** The password `addAccount` gives accounts unless told otherwise. */
export const TEST_PASSWORD = 'correct horse battery';

/** Creates a console account through the admin API (with the bootstrap token). */
export async function addAccount(
  t: BaseTestApp,
  username: string,
  role: 'admin' | 'viewer' = 'admin',
  password = TEST_PASSWORD,
  displayName = `User ${username}`,
): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/accounts',
    headers: t.admin,
    payload: { username, displayName, role, password },
  });
  if (res.statusCode !== 201) throw new Error(`addAccount: ${res.statusCode} ${res.body}`);
}

/** A signed-in console session: headers for reads (`cookie`) and for changes (`write`, with CSRF). */
export interface TestSession {
  readonly token: string;
  readonly csrfToken: string;
  readonly cookie: { cookie: string };
  readonly write: { cookie: string; 'x-csrf-token': string };
}

/** Signs in through `POST /api/v1/session`; throws unless it answers 200. */
export async function signIn(
  t: BaseTestApp,
  username: string,
  password = TEST_PASSWORD,
): Promise<TestSession> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`signIn: ${res.statusCode} ${res.body}`);
  const token = res.cookies.find((c) => c.name === 'cl_session')?.value;
  if (token === undefined) throw new Error('signIn: no cl_session cookie');
  const { csrfToken } = res.json<{ csrfToken: string }>();
  const cookie = `cl_session=${token}`;
  return { token, csrfToken, cookie: { cookie }, write: { cookie, 'x-csrf-token': csrfToken } };
}

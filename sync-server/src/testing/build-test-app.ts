import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, type ServerOptions } from '../app.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { openDatabase, type Db } from '../db/open-database.js';
import type { App } from '../routes/schemas.js';

/** A server on a fresh SQLite file in a temp dir, for route tests (`app.inject()`). */
export interface TestApp {
  readonly app: App;
  readonly dir: string;
  /** The SQLite database the server runs on (for tests that look inside). */
  readonly db: Db;
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
    db,
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

/** Creates a checkpoint through the admin API. */
export async function addCheckpoint(
  t: TestApp,
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
export async function enrollKiosk(t: TestApp, checkpointId: string, name = 'Lane 1'): Promise<TestKiosk> {
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
export async function importCsv(t: TestApp, list: 'health' | 'whitelist', csv: string | Buffer, query = '') {
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
  t: TestApp,
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
export async function signIn(t: TestApp, username: string, password = TEST_PASSWORD): Promise<TestSession> {
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

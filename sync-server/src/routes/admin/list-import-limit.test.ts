import { request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../app.js';
import { generateToken, hashToken } from '../../auth/tokens.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../../db/pg/pg-database.testkit.js';
import { runPgMigrations } from '../../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../../db/pg/pg-migrations.js';
import { openPgStore } from '../../db/pg/pg-store.js';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  type AnyTestApp,
  type TestEngine,
} from '../../testing/build-test-app.js';
import type { App } from '../schemas.js';

const HEADER = 'id,status,since,until,name,note\n';
/** More rows than the importer's first batch (5,000): the import then stages, holding a connection. */
const BATCH_ROWS = Array.from({ length: 5_001 }, (_, i) => `0790${String(i).padStart(8, '0')},F2,,,,\n`).join(
  '',
);

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Ms from the request's start to its answer. */
  readonly ms: number;
}

/** An import whose body is streamed by the test, chunk by chunk, over real HTTP. */
interface SlowImport {
  write(text: string): Promise<void>;
  end(): void;
  abort(): void;
  readonly answer: Promise<Answer>;
}

function startImport(app: App, authorization: string): SlowImport {
  const { port } = app.server.address() as AddressInfo;
  const started = Date.now();
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/admin/lists/health/import',
    headers: { authorization, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // A refused import's socket is closed by the server; that error is not the test's concern.
  answer.catch(() => undefined);
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) =>
        req.write(text, (err) => {
          if (err) reject(err);
          else resolve();
        }),
      ),
    end: () => req.end(),
    abort: () => req.destroy(),
    answer,
  };
}

const pgSkip = await pgUnavailable();
const engines: readonly TestEngine[] = pgSkip === null ? ['sqlite', 'postgres'] : ['sqlite'];

describe.each(engines)('list imports at once [%s]', (engine) => {
  let t: AnyTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it(
    'runs two imports at once and answers a third 503 import_busy at once; lanes keep answering',
    { timeout: 60_000 },
    async () => {
      const app = await buildTestApp({ engine });
      t = app;
      await addCheckpoint(app, 'CP');
      const lane = await enrollKiosk(app, 'CP');
      await app.app.listen({ host: '127.0.0.1', port: 0 });
      /** Pooled connections checked out now (PostgreSQL; 0 on SQLite). */
      const held = (): number => (app.engine === 'postgres' ? app.pool.totalCount - app.pool.idleCount : 0);

      const a = startImport(app.app, app.admin.authorization);
      const b = startImport(app.app, app.admin.authorization);
      await a.write(HEADER);
      await b.write(HEADER);
      // A third import is refused once both are running (no event tells when they are: ask again).
      let c: SlowImport | undefined;
      let refused: Answer | undefined;
      for (let i = 0; i < 5 && refused === undefined; i++) {
        c = startImport(app.app, app.admin.authorization);
        await c.write(HEADER);
        const answer = await Promise.race([
          c.answer,
          new Promise<null>((r) =>
            // Generous on a loaded machine: the refusal comes before the body, which never ends here.
            setTimeout(() => {
              r(null);
            }, 10_000),
          ),
        ]);
        if (answer?.status === 503) refused = answer;
        else {
          // Let in (a or b was not running yet): let it finish, then ask again.
          c.end();
          expect((await c.answer).status).toBe(200);
        }
      }
      expect(refused).toBeDefined();
      expect(refused?.ms).toBeLessThan(10_000);
      expect(refused?.headers['retry-after']).toBe('15');
      expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ error: 'import_busy' });
      c?.abort();

      // Two imports running, neither has sent a row: no connection is held (a background check
      // of the server may hold one for a moment).
      await expect.poll(held, { timeout: 5_000 }).toBe(0);

      // Both send their first batch: each then holds one connection, and lanes still get answers.
      await a.write(BATCH_ROWS);
      await b.write(BATCH_ROWS);
      if (app.engine === 'postgres') {
        await expect.poll(held, { timeout: 10_000 }).toBe(2);
      }
      const laneAnswers = await Promise.all(
        Array.from({ length: 20 }, () =>
          app.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: lane.auth }),
        ),
      );
      expect(laneAnswers.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect((await app.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const again = startImport(app.app, app.admin.authorization);
      await again.write(HEADER);
      expect((await again.answer).status).toBe(503);
      again.abort();

      // The two finish; each gives its connection back, and the next import runs.
      a.end();
      const doneA = await a.answer;
      expect(doneA.status, doneA.body).toBe(200);
      expect(JSON.parse(doneA.body)).toMatchObject({ accepted: 5_001, applied: true });
      b.end();
      expect((await b.answer).status).toBe(200);
      await expect.poll(held, { timeout: 5_000 }).toBe(0);
      const next = startImport(app.app, app.admin.authorization);
      await next.write(HEADER + '001099012345,F0,,,,\n');
      next.end();
      const nextAnswer = await next.answer;
      expect(nextAnswer.status, nextAnswer.body).toBe(200);
      expect(JSON.parse(nextAnswer.body)).toMatchObject({ accepted: 1, applied: true });
    },
  );

  it(
    'frees the slot and the connection of an import whose client goes away',
    { timeout: 60_000 },
    async () => {
      const app = await buildTestApp({ engine });
      t = app;
      await app.app.listen({ host: '127.0.0.1', port: 0 });
      const held = (): number => (app.engine === 'postgres' ? app.pool.totalCount - app.pool.idleCount : 0);
      for (let round = 0; round < 3; round++) {
        const a = startImport(app.app, app.admin.authorization);
        const b = startImport(app.app, app.admin.authorization);
        await a.write(HEADER + BATCH_ROWS);
        await b.write(HEADER);
        if (app.engine === 'postgres') await expect.poll(held, { timeout: 10_000 }).toBe(1);
        a.abort();
        b.abort();
        await expect.poll(held, { timeout: 10_000 }).toBe(0);
      }
      // Had the aborted imports kept their slots, this one would be refused.
      await expect
        .poll(
          async () => {
            const r = startImport(app.app, app.admin.authorization);
            await r.write(HEADER);
            r.end();
            return (await r.answer).status;
          },
          { timeout: 10_000 },
        )
        .toBe(200);
    },
  );
});

describe.skipIf(pgSkip !== null)('waiting for a pooled connection [postgres]', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it(
    'answers 503 database_busy with Retry-After (not 500) when no connection comes in time',
    { timeout: 60_000 },
    async () => {
      database = await createTestDatabase();
      const pool = await database.open({ max: 2, connectTimeoutMs: 300 });
      await runPgMigrations(pool, PG_MIGRATIONS);
      const listKey = Buffer.alloc(32, 7);
      const store = await openPgStore(pool, { indexKey: listKey, clock: Date.now, closePool: false });
      const token = generateToken();
      const app = await buildServer({ store, adminTokenHash: hashToken(token), listKey, logger: false });
      try {
        const admin = { authorization: `Bearer ${token}` };
        expect(
          (await app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: admin })).statusCode,
        ).toBe(200);
        const taken = [await pool.connect(), await pool.connect()];
        const busy = await app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: admin });
        expect(busy.statusCode, busy.body).toBe(503);
        expect(busy.json()).toMatchObject({ error: 'database_busy' });
        expect(busy.headers['retry-after']).toBe('2');
        for (const c of taken) c.release();
        expect(
          (await app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: admin })).statusCode,
        ).toBe(200);
      } finally {
        await app.close();
        await store.close();
      }
    },
  );
});

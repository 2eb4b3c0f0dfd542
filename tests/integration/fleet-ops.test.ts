// Fleet operations (issue 14 item 6) with real processes on a fresh PostgreSQL database:
// `checkpoint-server migrate` brings the schema up to date and exits 0 (2 without a URL or when the
// database cannot be reached); a fleet server on SIGTERM drains (GET /ready 503 `draining`, its
// admin event stream ends, new streams are refused), lets a request in flight finish, and exits 0.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A test kit is not part of the server's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  createTestDatabase,
  pgUnavailable,
  type TestDatabase,
} from '../../sync-server/src/db/pg/pg-database.testkit.js';
import { until } from './fleet-helpers.js';
import { freePort, ServerUnderTest } from './lane-helpers.js';
import { SERVER_JS, SseClient } from './sync-server-helpers.js';

const ADMIN = 'admin-token-for-fleet-ops-0123456789';
const unavailable = await pgUnavailable();

/** Runs `checkpoint-server migrate …` to its end: exit code and output. */
async function migrate(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const baseEnv = { ...process.env };
  delete baseEnv['CHECKPOINT_DATABASE_URL'];
  const child = spawn(process.execPath, [SERVER_JS, 'migrate', ...args], {
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe.skipIf(unavailable !== null)('fleet operations (PostgreSQL)', () => {
  let database: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'cl-fleet-ops-'));
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrate: refuses without a URL or an unreachable database (2), migrates a fresh one (0), then finds it up to date', async () => {
    const none = await migrate([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs --database/);

    const refused = await migrate(['--database', 'postgres://postgres@127.0.0.1:1/nowhere']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere/);

    const first = await migrate(['--database', database.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const m = /schema version (\d+), applied ([\d, ]+)/.exec(first.stdout);
    expect(m, first.stdout).not.toBeNull();
    const version = Number(m?.[1]);
    expect(version).toBeGreaterThan(0);
    expect(m?.[2]?.split(', ').map(Number)).toEqual(Array.from({ length: version }, (_, i) => i + 1));

    const pool = await database.open({ max: 1 });
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));

    // The URL from the environment this time.
    const second = await migrate([], { CHECKPOINT_DATABASE_URL: database.url });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`schema version ${version}, already up to date`);
  });

  it('SIGTERM drains: /ready 503, the event stream ends, new streams refused, a request in flight finishes, exit 0', async () => {
    const server = new ServerUnderTest(join(dir, 'server'), await freePort(), ADMIN, [
      '--database',
      database.url,
      '--drain-grace',
      '10',
    ]);
    await server.start();
    const child = server.child;
    if (!child) throw new Error('no server process');
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    try {
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });

      const events = await SseClient.open(`${server.url}/api/v1/admin/events`, ADMIN);
      // A request held in flight: its JSON body is sent in two parts, the second after SIGTERM.
      let push: ReadableStreamDefaultController<Uint8Array> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          push = c;
        },
      });
      push?.enqueue(new TextEncoder().encode('{"id":"CP-DRAIN","name":"Drain",'));
      const inFlight = fetch(`${server.url}/api/v1/admin/checkpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      await new Promise((r) => setTimeout(r, 300));

      child.kill('SIGTERM');
      await until(
        async () => (await fetch(`${server.url}/ready`)).status === 503,
        '/ready answers 503 while draining',
        5_000,
      );
      const draining = await fetch(`${server.url}/ready`);
      expect(await draining.json()).toEqual({ status: 'not_ready', reason: 'draining' });
      await events.closed;
      expect(events.ended).toBe(true);
      const refused = await fetch(`${server.url}/api/v1/admin/events`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: 'draining' });
      // Still serving while a request is in flight (the grace is 10 s).
      expect(child.exitCode).toBeNull();

      push?.enqueue(new TextEncoder().encode('"mode":"open"}'));
      push?.close();
      const answer = await inFlight;
      expect(answer.status).toBeLessThan(300);
      const started = Date.now();
      const [code, signal] = await exited;
      expect(signal).toBeNull();
      expect(code).toBe(0);
      // It closed once the request was answered, not after the 10 s grace.
      expect(Date.now() - started).toBeLessThan(5_000);

      // The checkpoint made by the request in flight is in the database.
      const pool = await database.open({ max: 1 });
      const { rows } = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM checkpoints WHERE id = 'CP-DRAIN'",
      );
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 60_000);
});

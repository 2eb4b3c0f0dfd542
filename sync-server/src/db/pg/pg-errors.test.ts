import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, pgUnavailable } from './pg-database.testkit.js';
import { pgAnswer } from './pg-errors.js';

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: unknown };
  }
  throw new Error('expected a rejection');
}

const BUSY = { status: 503, code: 'database_busy', retryAfterSec: 2 };

describe('pgAnswer', () => {
  it('answers 503 database_busy when a new connection does not open within the connect timeout', async () => {
    // A server that accepts connections and never answers: the client's startup hangs.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', connectionTimeoutMillis: 200 });
    try {
      const err = await rejection(pool.query('SELECT 1'));
      expect(pgAnswer(err)).toMatchObject(BUSY);
    } finally {
      await pool.end().catch(() => undefined);
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('answers null for errors that are not the database refusing or being busy', () => {
    expect(pgAnswer(new Error('boom'))).toBeNull();
    expect(pgAnswer({ code: '42601', message: 'syntax error at or near "SELEC"' })).toBeNull();
    expect(pgAnswer({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' })).toBeNull();
    expect(pgAnswer({})).toBeNull();
    // The pool's message inside a longer one is not the pool's timeout.
    expect(pgAnswer({ message: 'x: timeout exceeded when trying to connect' })).toBeNull();
  });
});

const pgSkip = await pgUnavailable();

describe.skipIf(pgSkip !== null)('pgAnswer on PostgreSQL', () => {
  it('maps real errors: pool wait timeout and statement timeout 503, unique violation 409, bad value 400', async () => {
    const test = await createTestDatabase();
    try {
      const pool = await test.open({ max: 1, connectTimeoutMs: 200 });
      const held = await pool.connect();
      const waited = await rejection(pool.query('SELECT 1'));
      expect(waited.message).toBe('timeout exceeded when trying to connect');
      expect(pgAnswer(waited)).toMatchObject(BUSY);
      // The answer names no value from the request.
      expect(JSON.stringify(pgAnswer(waited))).not.toContain('SELECT');

      await held.query('SET statement_timeout = 50');
      expect(pgAnswer(await rejection(held.query('SELECT pg_sleep(1)')))).toMatchObject(BUSY);
      await held.query('RESET statement_timeout');
      await held.query('CREATE TEMP TABLE t (k int PRIMARY KEY)');
      await held.query('INSERT INTO t VALUES (1)');
      const dup = await rejection(held.query('INSERT INTO t VALUES (1)'));
      expect(pgAnswer(dup)).toMatchObject({ status: 409, code: 'conflict' });
      const nul = await rejection(held.query('SELECT $1::text', ['a\u0000b']));
      expect(pgAnswer(nul)).toMatchObject({ status: 400, code: 'bad_request' });
      expect(pgAnswer(await rejection(held.query('SELEC 1')))).toBeNull();
      held.release();
    } finally {
      await test.drop();
    }
  });
});

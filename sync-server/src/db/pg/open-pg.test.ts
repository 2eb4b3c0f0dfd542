import { describe, expect, it } from 'vitest';
import { describeUrl, openPg, resolveDatabaseUrl } from './open-pg.js';
import { pgRequired, pgUnavailable, useTestDatabase } from './pg-database.testkit.js';

const skip = await pgUnavailable();

describe('openPg without a database', () => {
  it('names the database to use when none is given', () => {
    expect(() => resolveDatabaseUrl(undefined, {})).toThrow(
      'no PostgreSQL database: pass a postgres:// URL or set CHECKPOINT_DATABASE_URL',
    );
    expect(resolveDatabaseUrl(undefined, { CHECKPOINT_DATABASE_URL: 'postgres://u@h/db' })).toBe(
      'postgres://u@h/db',
    );
    expect(resolveDatabaseUrl('postgresql://a@b/c', { CHECKPOINT_DATABASE_URL: 'postgres://u@h/db' })).toBe(
      'postgresql://a@b/c',
    );
  });

  it('refuses a URL that is not postgres://, without echoing its password', () => {
    expect(() => resolveDatabaseUrl('mysql://root:hunter2@db:3306/x')).toThrow(
      'not a PostgreSQL URL (expected postgres://user@host:port/database): db:3306/x as root',
    );
    expect(describeUrl('postgres://fleet:s3cret@db.internal:6432/checkpoint')).toBe(
      'db.internal:6432/checkpoint as fleet',
    );
  });

  it('describes a Unix socket URL as pg reads it, without its password', () => {
    const d = describeUrl('postgres://fleet:s3cret@/checkpoint?host=/var/run/postgresql');
    expect(d).toBe('/var/run/postgresql:5432/checkpoint as fleet');
    expect(describeUrl('postgres://:s3cret@/checkpoint?host=/run/pg&port=6432')).not.toContain('s3cret');
  });

  it('fails with where it tried and why when nothing answers', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const err = await openPg({ url: 'postgres://fleet:s3cret@127.0.0.1:1/checkpoint' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/checkpoint as fleet: .*ECONNREFUSED/,
    );
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('CI or CHECKPOINT_REQUIRE_PG makes PostgreSQL required', () => {
    expect(pgRequired({})).toBe(false);
    expect(pgRequired({ CHECKPOINT_REQUIRE_PG: '1' })).toBe(true);
    expect(pgRequired({ CI: 'true' })).toBe(true);
    expect(pgRequired({ CI: 'false', CHECKPOINT_REQUIRE_PG: '0' })).toBe(false);
  });
});

describe.skipIf(skip !== null)('openPg on a database', () => {
  const fresh = useTestDatabase();

  it('sets the statement timeout and application name on every connection', async () => {
    const pool = await fresh().open({ statementTimeoutMs: 200, applicationName: 'cl-test', max: 2 });
    const settings = await pool.query(
      `SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app`,
    );
    expect(settings.rows[0]).toEqual({ timeout: '200ms', app: 'cl-test' });
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    // The pool still answers after a timed-out statement.
    expect((await pool.query('SELECT 2 AS n')).rows[0]).toEqual({ n: 2 });
  });

  it('says when the database does not exist', async () => {
    const url = new URL(fresh().url);
    url.pathname = '/cl_test_no_such_database';
    await expect(openPg({ url: url.toString() })).rejects.toThrow(
      /cannot connect to PostgreSQL at .*\/cl_test_no_such_database as .*: database "cl_test_no_such_database" does not exist/,
    );
  });
});

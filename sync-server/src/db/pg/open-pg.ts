import pg from 'pg';

/** The environment variable that names the fleet's PostgreSQL database (a `postgres://` URL). */
export const DATABASE_URL_ENV = 'CHECKPOINT_DATABASE_URL';

/** A pool of PostgreSQL connections, as the PostgreSQL repositories will use it. */
export type PgPool = pg.Pool;

export interface OpenPgOptions {
  /** A `postgres://` or `postgresql://` URL; `CHECKPOINT_DATABASE_URL` when absent. */
  readonly url?: string;
  /** Connections at most (default 10). */
  readonly max?: number;
  /** Server-side limit on one statement, ms (default 30,000): a stuck query ends with an error. */
  readonly statementTimeoutMs?: number;
  /** How long to wait for a connection, ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /** `application_name` the server shows in pg_stat_activity (default `checkpoint-server`). */
  readonly applicationName?: string;
  /** Called when an idle pooled connection fails (the database restarted, the network dropped). */
  readonly onIdleError?: (err: Error) => void;
}

/**
 * BIGINT (int8) columns arrive as JavaScript numbers: epoch ms, counters and row numbers are far
 * below 2^53. A value outside the safe range throws instead of losing digits, so a subject key
 * (signed 64-bit) must be selected as text (`subject_key::text`) and read with `BigInt()`.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`bigint ${text} is outside JavaScript's safe integer range: select it as text`);
  }
  return n;
}

/** The pool's type parsers: int8 through parseInt8, every other type as pg parses it. */
type GetTypeParser = pg.CustomTypesConfig['getTypeParser'];
const INT8: number = pg.types.builtins.INT8;
const defaultParser: (oid: number, format: 'text' | 'binary') => (value: string) => unknown = pg.types
  .getTypeParser as never;
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format: 'text' | 'binary' = 'text') =>
    oid === INT8 && format === 'text' ? parseInt8 : defaultParser(oid, format)) as GetTypeParser,
};

/** Where a URL points, without its password: for error messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, '') || '(default database)';
    const user = u.username === '' ? '(default user)' : decodeURIComponent(u.username);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}/${db} as ${user}`;
  } catch {
    // A form WHATWG URLs refuse but libpq and pg take, such as a Unix socket directory
    // (`postgres://user@/db?host=/var/run/postgresql`): as pg reads it, without connecting.
    try {
      const c = new pg.Client({ connectionString: url });
      return `${c.host}:${c.port}/${c.database ?? '(default database)'} as ${c.user ?? '(default user)'}`;
    } catch {
      return '(unparseable URL)';
    }
  }
}

/** A connection error's reason: its message, or for several failed addresses (AggregateError) each one's. */
function errorReason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map(errorReason))].join('; ');
  }
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return err.message || (typeof code === 'string' ? code : err.name);
}

/** The URL to use: the given one, else `CHECKPOINT_DATABASE_URL`; refuses anything but postgres://. */
export function resolveDatabaseUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = url ?? env[DATABASE_URL_ENV];
  if (chosen === undefined || chosen === '') {
    throw new Error(`no PostgreSQL database: pass a postgres:// URL or set ${DATABASE_URL_ENV}`);
  }
  if (!/^postgres(ql)?:\/\//.test(chosen)) {
    throw new Error(
      `not a PostgreSQL URL (expected postgres://user@host:port/database): ${describeUrl(chosen)}`,
    );
  }
  return chosen;
}

/**
 * Opens a pool on a PostgreSQL database and checks that it answers (`SELECT 1`). Every
 * connection gets the statement timeout and the application name as startup parameters. When
 * the database cannot be reached, the pool is closed and the error names the host, port,
 * database and user (never the password) with PostgreSQL's or the network's reason.
 */
export async function openPg(options: OpenPgOptions = {}): Promise<PgPool> {
  const url = resolveDatabaseUrl(options.url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    application_name: options.applicationName ?? 'checkpoint-server',
    types: typeParsers,
  });
  // Without a listener, an idle connection's error would end the process.
  pool.on('error', (err) => options.onIdleError?.(err));
  // A connection checked out of the pool has no listener of the pool's: one that breaks between
  // two statements of a transaction (the database restarts, the network is cut) would emit an
  // unhandled 'error' and end the process. The statement in flight, or the next one, still fails
  // and its caller answers; this listener only keeps the process alive.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.onIdleError?.(err));
  });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${describeUrl(url)}: ${errorReason(err)}`, {
      cause: err,
    });
  }
  return pool;
}

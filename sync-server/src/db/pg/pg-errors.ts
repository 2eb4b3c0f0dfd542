/** How the API answers a database refusal it did not turn into a result itself. */
export interface StoredAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Seconds a client should wait before trying again (503 only). */
  readonly retryAfterSec?: number;
}

/**
 * pg-pool's errors (no SQLSTATE) when no connection came within the pool's connect timeout:
 * every pooled connection stayed busy, or a new one did not open in time.
 */
const POOL_TIMEOUTS: readonly string[] = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/**
 * A PostgreSQL error (SQLSTATE in `code`), or the pool's wait for a connection timing out (503
 * `database_busy`), as the API answers it, or null when it is not one the client caused or can
 * wait out (then it is a server error). The answer names no value: error
 * details from PostgreSQL can quote the row.
 */
export function pgAnswer(err: { code?: unknown; message?: unknown }): StoredAnswer | null {
  if (typeof err.message === 'string' && POOL_TIMEOUTS.includes(err.message)) {
    return {
      status: 503,
      code: 'database_busy',
      message: 'every database connection of this server is busy; try again shortly',
      retryAfterSec: 2,
    };
  }
  const code = typeof err.code === 'string' ? err.code : '';
  switch (code) {
    case '23505': // unique_violation
      return { status: 409, code: 'conflict', message: 'this conflicts with a stored record' };
    case '22P05': // untranslatable_character (e.g. U+0000 in text or jsonb)
    case '22021': // character_not_in_repertoire
    case '22001': // string_data_right_truncation
    case '22003': // numeric_value_out_of_range
    case '22007': // invalid_datetime_format
    case '22P02': // invalid_text_representation
    case '23502': // not_null_violation
    case '23503': // foreign_key_violation
    case '23514': // check_violation
      return { status: 400, code: 'bad_request', message: 'a value is out of range or of the wrong type' };
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
    case '55P03': // lock_not_available
    case '57014': // query_canceled (statement_timeout)
    case '53300': // too_many_connections
    case '57P01': // admin_shutdown
    case '57P03': // cannot_connect_now
      return {
        status: 503,
        code: 'database_busy',
        message: 'the database is busy or restarting; try again shortly',
        retryAfterSec: 2,
      };
    default:
      return null;
  }
}

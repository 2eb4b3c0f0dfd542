// Bounds every integer in every schema uses: a number the server or a lane accepts must be one
// that JavaScript and SQLite both hold exactly. JSON.parse reads `9007199254740993` as
// 9007199254740992 (2^53): with `maximum: Number.MAX_SAFE_INTEGER` (2^53 − 1) every integer
// literal beyond the safe range, which always parses to 2^53 or more, is refused instead of
// being stored as a different number. Domain bounds are tighter still.
import Type, { type TNumberOptions } from 'typebox';

/** Largest epoch ms any schema accepts: 9999-12-31T23:59:59.999Z (ISO 8601 with four-digit years). */
export const EPOCH_MS_MAX = 253_402_300_799_999;

/**
 * Largest sequence number, version or count a client may send: 2^48 − 1. A lane making 1000
 * records a second would need almost 9000 years to reach it, and `n + 1` stays exact far beyond it.
 */
export const COUNTER_MAX = 2 ** 48 - 1;

/** Largest integer any schema may allow (2^53 − 1): the last one JavaScript holds exactly. */
export const SAFE_INTEGER_MAX = Number.MAX_SAFE_INTEGER;

/** Epoch ms, 0 … 9999-12-31. */
export const EpochMs = (opts: TNumberOptions = {}) =>
  Type.Integer({ minimum: 0, maximum: EPOCH_MS_MAX, ...opts });

/** A counter (sequence number, list or roster version, backlog): 0 … 2^48 − 1 unless narrowed. */
export const Counter = (opts: TNumberOptions = {}) =>
  Type.Integer({ minimum: 0, maximum: COUNTER_MAX, ...opts });

/** A database row id (alert id, audit id, arrival number): 1 … 2^53 − 1. */
export const RowId = (opts: TNumberOptions = {}) =>
  Type.Integer({ minimum: 1, maximum: SAFE_INTEGER_MAX, ...opts });

/** Largest magnitude of a JavaScript `Date`, ms (±8.64e15, about ±275 000 years). */
export const DATE_MS_MAX = 8_640_000_000_000_000;

/** A time a `Date` can hold, before or after 1970 (list entries' validity windows). */
export const DateMs = (opts: TNumberOptions = {}) =>
  Type.Integer({ minimum: -DATE_MS_MAX, maximum: DATE_MS_MAX, ...opts });

// One shape for an expected failure, everywhere: `{ok:true, value}` or `{ok:false, error}`.
// Exceptions are for bugs; a bad payload, row, date or server answer is a value.

/** The outcome of something that can fail in an expected way. */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A success. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** An expected failure. */
export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

// The session policy and its defaults, apart from sessions.ts so that services.ts (which the
// session code reads at run time) can take the defaults without an import circle.

/** How long sessions live and how sign-in failures are punished. */
export interface SessionPolicy {
  /** A session unused this long ends (ms). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, used or not (ms). */
  readonly absoluteMs: number;
  /** Wrong passwords in a row that lock an account. */
  readonly maxFailures: number;
  /** How long a lock lasts (ms). */
  readonly lockMs: number;
}

/** The defaults: 30 min idle, 12 h in all, 5 failures lock for 15 min. */
export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3600_000,
  maxFailures: 5,
  lockMs: 15 * 60_000,
};

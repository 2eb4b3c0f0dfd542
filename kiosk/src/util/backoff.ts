/** Capped exponential back-off with full jitter. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Random in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (0-based): uniformly random up to
 * min(cap, base·2^attempt), never below base/2 so a flapping device is not hammered.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  return Math.max(options.baseMs / 2, Math.floor(random() * ceiling));
}

import type { LimitsStore } from '../db/store/limits-store.js';
import { HttpError } from '../http-error.js';

/**
 * Runs at most `concurrency` tasks at once with at most `maxQueued` waiting; more are refused
 * with `503 busy`. Password hashing goes through one, so a flood of sign-ins cannot take every
 * libuv worker thread (lanes' snapshot downloads and file writes share them).
 */
export class TaskGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  /** Runs `task` when a slot is free; throws `503 busy` if too many are already waiting. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxQueued) {
        throw new HttpError(503, 'busy', 'the server is busy checking passwords; try again in a few seconds');
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next) next();
      else this.#running--;
    }
  }
}

/** How many wrong passwords lock a name, and for how long. */
export interface LockPolicy {
  readonly maxFailures: number;
  readonly lockMs: number;
}

/** The counter bucket of failed sign-ins of usernames with no account. */
export const UNKNOWN_NAME_BUCKET = 'login-unknown';

/**
 * How long failures of a username with no account are counted (a window from its first failure).
 * A real account's failures count until a good sign-in; an unknown name's are forgotten after
 * this, so the table of guessed names stays bounded.
 */
export const UNKNOWN_FAILURES_KEPT_MS = 24 * 3_600_000;

/**
 * Sign-in bookkeeping that the database cannot do alone:
 * - attempts for one username run one after another on this server (a bounded queue), so
 *   parallel guesses cannot all be checked before the fifth failure locks the account, and a good
 *   password cannot race a lock;
 * - usernames with no account count failures and lock exactly like real ones, in the shared
 *   {@link LimitsStore} (so every server of a fleet sees the same count and lock), so the
 *   lock-out does not reveal which usernames exist.
 */
export class LoginGuard {
  readonly #chains = new Map<string, { tail: Promise<unknown>; size: number }>();

  constructor(
    private readonly policy: LockPolicy,
    private readonly limits: LimitsStore,
    private readonly maxWaitingPerName = 4,
  ) {}

  /** Runs `task` after every earlier attempt for `username` has finished. */
  async serialize<T>(username: string, task: () => Promise<T>): Promise<T> {
    const chain = this.#chains.get(username) ?? { tail: Promise.resolve(), size: 0 };
    if (chain.size > this.maxWaitingPerName) {
      throw new HttpError(429, 'rate_limited', 'too many sign-in attempts for this account at once');
    }
    chain.size++;
    this.#chains.set(username, chain);
    const result = chain.tail.then(task, task);
    chain.tail = result.catch(() => undefined);
    try {
      return await result;
    } finally {
      chain.size--;
      if (chain.size === 0) this.#chains.delete(username);
    }
  }

  /** When a username with no account is locked until, or null. */
  unknownLockedUntil(username: string, now: number): Promise<number | null> {
    return this.limits.lockedUntil(UNKNOWN_NAME_BUCKET, username, now);
  }

  /** Counts a failure for a username with no account; returns the lock's end if this one locked it. */
  async unknownFailure(username: string, now: number): Promise<number | null> {
    const { count } = await this.limits.hit(UNKNOWN_NAME_BUCKET, username, now, UNKNOWN_FAILURES_KEPT_MS);
    if (count < this.policy.maxFailures) return null;
    // The lock zeroes the count, as a real account's lock does.
    const until = now + this.policy.lockMs;
    await this.limits.lock(UNKNOWN_NAME_BUCKET, username, until);
    return until;
  }
}

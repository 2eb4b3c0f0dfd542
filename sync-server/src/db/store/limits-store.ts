import { createHash } from 'node:crypto';

/** One counted hit: the count in the current window (this hit included) and when the window ends. */
export interface LimitHit {
  readonly count: number;
  /** Epoch ms at which the window ends and the count starts again from zero. */
  readonly resetAt: number;
}

/**
 * Counters and locks that every server of a fleet must share (issue 14): per-address request
 * limits and the lock-out of usernames with no account. A counter is named by a `bucket` (what
 * is counted, e.g. `login-unknown`) and a `key` (whom it counts: an address, a username).
 * Windows are fixed: one starts at the first hit after the previous one ended.
 */
export interface LimitsStore {
  /** Counts one hit on (bucket, key) in a window of `windowMs`; answers the count and the window's end. */
  hit(bucket: string, key: string, now: number, windowMs: number): Promise<LimitHit>;
  /** Locks (bucket, key) until `until` (a later lock already held is kept) and zeroes its count. */
  lock(bucket: string, key: string, until: number): Promise<void>;
  /** When the lock on (bucket, key) ends, or null if it is not locked at `now`. */
  lockedUntil(bucket: string, key: string, now: number): Promise<number | null>;
  /** Forgets counters whose window and lock have both ended by `now`; answers how many. */
  sweep(now: number): Promise<number>;
}

/** SHA-256 of a counter's key: what the database stores instead of a username or an address. */
export function limitKeyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

interface Counter {
  count: number;
  resetAt: number;
  lockedUntil: number;
}

/**
 * The counters of one process, in memory (SQLite mode: one server owns the database, so nothing
 * needs sharing). Bounded: at `maxKeys` a new key makes room by forgetting the counters touched
 * longest ago (ended ones among them first go too), never all at once.
 */
export class MemoryLimitsStore implements LimitsStore {
  readonly #counters = new Map<string, Counter>();

  constructor(private readonly maxKeys = 50_000) {}

  hit(bucket: string, key: string, now: number, windowMs: number): Promise<LimitHit> {
    const id = `${bucket}\u0000${key}`;
    const c = this.#take(id, now);
    if (c.resetAt <= now) {
      c.count = 0;
      c.resetAt = now + windowMs;
    }
    c.count++;
    return Promise.resolve({ count: c.count, resetAt: c.resetAt });
  }

  lock(bucket: string, key: string, until: number): Promise<void> {
    const c = this.#take(`${bucket}\u0000${key}`, until);
    c.count = 0;
    c.lockedUntil = Math.max(c.lockedUntil, until);
    return Promise.resolve();
  }

  lockedUntil(bucket: string, key: string, now: number): Promise<number | null> {
    const c = this.#counters.get(`${bucket}\u0000${key}`);
    return Promise.resolve(c !== undefined && c.lockedUntil > now ? c.lockedUntil : null);
  }

  sweep(now: number): Promise<number> {
    let n = 0;
    for (const [id, c] of this.#counters) {
      if (c.resetAt <= now && c.lockedUntil <= now) {
        this.#counters.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  /** The counter `id`, moved to the end of the Map's order (latest touched), made if new. */
  #take(id: string, now: number): Counter {
    const found = this.#counters.get(id);
    if (found !== undefined) {
      this.#counters.delete(id);
      this.#counters.set(id, found);
      return found;
    }
    if (this.#counters.size >= this.maxKeys) {
      // Oldest first: ended counters go; once the map has room, the first live one stops it.
      for (const [old, c] of this.#counters) {
        const ended = c.resetAt <= now && c.lockedUntil <= now;
        if (!ended && this.#counters.size < this.maxKeys) break;
        this.#counters.delete(old);
      }
    }
    const made: Counter = { count: 0, resetAt: 0, lockedUntil: 0 };
    this.#counters.set(id, made);
    return made;
  }
}

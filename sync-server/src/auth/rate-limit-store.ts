import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { LimitsStore } from '../db/store/limits-store.js';

/** The route a rate-limit store child counts for, as @fastify/rate-limit passes it. */
interface ChildParams {
  readonly routeInfo?: { readonly method?: string | readonly string[]; readonly url?: string };
}

/** The counter bucket of one route's limit: `rate:<METHOD> <url>`. */
function routeBucket(params: unknown): string {
  const info = (params as ChildParams | null)?.routeInfo;
  const method = Array.isArray(info?.method) ? info.method.join(',') : (info?.method ?? '');
  return `rate:${String(method)} ${info?.url ?? ''}`.slice(0, 100);
}

/**
 * A @fastify/rate-limit store (its `store` option) that counts in the {@link LimitsStore}, so
 * every server of a fleet counts an address's requests to a route together. Each route with its
 * own `config.rateLimit` gets a child counting in its own bucket. Fixed windows from the first
 * request, as the plugin's in-memory store; `clock` gives the time (the server's clock).
 */
export function limitsRateStore(limits: LimitsStore, clock: () => number): FastifyRateLimitStoreCtor {
  class LimitsRateStore implements FastifyRateLimitStore {
    readonly #bucket: string;

    /** The plugin passes its options (the global store); `child` passes the route's bucket. */
    constructor(optionsOrBucket: unknown) {
      this.#bucket = typeof optionsOrBucket === 'string' ? optionsOrBucket : 'rate:global';
    }

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const now = clock();
      limits.hit(this.#bucket, key, now, timeWindow).then(
        (hit) => {
          callback(null, { current: hit.count, ttl: Math.max(0, hit.resetAt - now) });
        },
        (err: unknown) => {
          callback(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }

    child(params: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new LimitsRateStore(routeBucket(params));
    }
  }
  return LimitsRateStore;
}

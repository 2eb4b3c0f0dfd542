import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';
import type { ApiFailure } from './server-api.js';

/** Capped, jittered back-off between retries (see `backoffDelay`). */
export interface RetryOptions {
  readonly baseMs: number;
  readonly capMs: number;
}

/** What the link reports of itself (a part of `SyncStatus`). */
export interface LinkStatus {
  readonly online: boolean;
  readonly revoked: boolean;
  /** Server clock minus lane clock, from the last heartbeat (ms). */
  readonly clockSkewMs: number | null;
  readonly lastError: string | null;
}

/** Options of the link state. */
export interface LinkStateOptions {
  readonly logger: Logger;
  readonly retry?: RetryOptions;
  /** Called whenever something a status strip shows may have changed. */
  readonly onChange?: () => void;
}

const DEFAULT_RETRY: RetryOptions = { baseMs: 1000, capMs: 60_000 };

/**
 * The small state the lane's sync parts share: running or stopped (with the abort signal and
 * timers that stop ends), online or offline, revoked, the last error, the server clock offset,
 * and the back-off between retries. Each part reports success and failure here; none keeps
 * its own copy of whether the server is reachable.
 */
export class LinkState {
  readonly #log: Logger;
  readonly #retry: RetryOptions;
  readonly #onChange: () => void;
  readonly #onReconnect: (() => void)[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #running = false;
  #abort = new AbortController();
  #online = false;
  #revoked = false;
  #clockSkewMs: number | null = null;
  #lastError: string | null = null;

  constructor(options: LinkStateOptions) {
    this.#log = options.logger;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#onChange = options.onChange ?? (() => undefined);
  }

  /** Whether the sync runs (a method, not a field: it changes across awaits, which flow analysis cannot see). */
  running(): boolean {
    return this.#running;
  }

  /** Aborted when the sync stops or the lane is revoked. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether the server answered the last call. */
  online(): boolean {
    return this.#online;
  }

  /** Whether the centre revoked this lane (its token refused, or a `revoked` push). */
  revoked(): boolean {
    return this.#revoked;
  }

  /** The link's part of the sync status. */
  status(): LinkStatus {
    return {
      online: this.#online,
      revoked: this.#revoked,
      clockSkewMs: this.#clockSkewMs,
      lastError: this.#lastError,
    };
  }

  /** Starts a run: a fresh abort signal; timers may be set again. */
  start(): void {
    this.#running = true;
    this.#abort = new AbortController();
  }

  /** Ends the run: aborts what is in flight and clears every timer. */
  stop(): void {
    this.#running = false;
    this.#abort.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Registers what to do when the server is reachable again after being unreachable. */
  onReconnect(listener: () => void): void {
    this.#onReconnect.push(listener);
  }

  /** A call to the server succeeded: online (again). */
  succeeded(): void {
    if (this.#online) return;
    this.#online = true;
    this.#lastError = null;
    this.#log.info('server reachable');
    for (const listener of this.#onReconnect) listener();
    this.changed();
  }

  /** A call to the server failed (ignored once stopped): offline, refused (401: revoked), or an error. */
  failed(failure: ApiFailure, what: string): void {
    if (!this.#running) return;
    this.#lastError = `${what}: ${failure.message}`;
    if (failure.kind === 'http' && failure.status === 401) {
      this.#revoked = true;
      this.#log.error({ what }, 'server refused this lane’s token (revoked?)');
    }
    if (failure.kind === 'offline' && this.#online) {
      this.#online = false;
      this.#log.warn({ what, err: failure.message }, 'server unreachable; deciding offline');
    } else {
      this.#log.debug({ what, err: failure.message }, 'sync call failed');
    }
    this.changed();
  }

  /** Something the server sent was refused (bad data): shown as the last error, the link unchanged. */
  problem(message: string): void {
    this.#lastError = message;
    this.changed();
  }

  /** The centre revoked this lane: sync stops; the lane keeps deciding from its last lists. */
  revoke(): void {
    this.#revoked = true;
    this.#lastError = 'this lane was revoked by the centre';
    this.#log.error('lane revoked: sync stopped; the lane keeps deciding from its last lists');
    this.#abort.abort();
    this.changed();
  }

  /** Records the server clock minus the lane clock (ms). */
  setClockSkew(ms: number): void {
    this.#clockSkewMs = ms;
  }

  /** Tells the status listener that something it shows may have changed. */
  changed(): void {
    this.#onChange();
  }

  /** The wait before retry number `attempt` (0-based). */
  retryDelay(attempt: number): number {
    return backoffDelay(attempt, this.#retry);
  }

  /** Runs `task` after `ms`, unless the sync stops first (nothing is scheduled while stopped). */
  later(ms: number, task: () => void): void {
    if (!this.#running) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#running) task();
    }, ms);
    this.#timers.add(t);
  }

  /** Waits `ms`, or less if the sync stops or the lane is revoked. */
  sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      const done = (): void => {
        clearTimeout(t);
        this.#timers.delete(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#timers.add(t);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

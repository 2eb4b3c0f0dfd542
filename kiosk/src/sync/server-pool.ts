// The sync servers of one fleet a lane may talk to (`--server URL1,URL2,…`): which one is
// current, which are down for a while, and when to go back to the first listed one.
import { checkServerUrl, type Result } from '@checkpoint-lane/shared';
import axios, { isAxiosError, isCancel } from 'axios';
import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';

/** Timings of a server pool (every one has a default). */
export interface ServerPoolOptions {
  /** How often, while not on the first listed server, the earlier ones are asked `GET /health` (5 min). */
  readonly preferFirstMs?: number;
  /** Back-off of a server that failed: doubled per failure in a row, jittered (5 s). */
  readonly downBaseMs?: number;
  /** The longest a failed server is passed over (5 min). */
  readonly downCapMs?: number;
  /** How long a `GET /health` probe waits for an answer (3 s). */
  readonly probeTimeoutMs?: number;
}

/** What a pool is built with: its timings, plus what tests inject. */
export interface ServerPoolSetup extends ServerPoolOptions {
  readonly logger?: Logger;
  readonly clock?: () => number;
  /** Random in [0, 1), for the back-off's jitter. */
  readonly random?: () => number;
  /** Whether the server at this base URL answers (default: `GET {url}/health` answers 200). */
  readonly probe?: (url: string) => Promise<boolean>;
}

/** Where the lane stands with its servers (for the heartbeat). */
export interface ServerPoolStats {
  /** 0-based index in the list of the server calls go to now. */
  readonly index: number;
  /** How many servers are listed. */
  readonly count: number;
  /** How many times calls moved from a failed server to one that is up. */
  readonly failovers: number;
}

const DEFAULTS = {
  preferFirstMs: 5 * 60_000,
  downBaseMs: 5_000,
  downCapMs: 5 * 60_000,
  probeTimeoutMs: 3_000,
} as const;

/** The most servers one `--server` may list. */
export const MAX_SERVERS = 64;

/** Splits a `--server` value: trimmed parts, empty ones dropped (no check of each). */
export function splitServerList(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * Checks a `--server` value: one URL or a comma-separated list (trimmed, empty parts dropped),
 * each an http(s) URL the lane may use (plain http only to this machine unless
 * `allowInsecureHttp`), none twice, at most `MAX_SERVERS`. Answers the list, or an error naming the bad entry.
 */
export function parseServerList(
  text: string,
  options: { readonly allowInsecureHttp: boolean },
): Result<readonly string[], string> {
  const parts = splitServerList(text);
  if (parts.length === 0) return { ok: false, error: 'names no server (e.g. https://sync.example.vn)' };
  if (parts.length > MAX_SERVERS)
    return { ok: false, error: `lists ${parts.length} servers; at most ${MAX_SERVERS}` };
  const seen = new Map<string, string>();
  for (const part of parts) {
    const checked = checkServerUrl(part, options);
    if (!checked.ok) return { ok: false, error: checked.message };
    // Two spellings of one server (a trailing slash, upper-case host) are one server.
    const key = new URL(part).href.replace(/\/+$/, '');
    const earlier = seen.get(key);
    if (earlier !== undefined)
      return { ok: false, error: `lists ${part} twice${earlier === part ? '' : ` (as ${earlier})`}` };
    seen.set(key, part);
  }
  return { ok: true, value: parts };
}

/** Whether a failed call should move to the next server: no answer, a timeout, or a 5xx answer. */
export function failsOver(error: unknown): boolean {
  if (!isAxiosError(error)) return false;
  if (isCancel(error) || error.code === 'ERR_CANCELED') return false; // the lane stopped it
  if (error.response) return error.response.status >= 500;
  return true;
}

/** The default probe: `GET {url}/health` answers 200 within the timeout. */
function healthProbe(timeoutMs: number): (url: string) => Promise<boolean> {
  return async (url) => {
    try {
      const res = await axios.get(`${url.replace(/\/+$/, '')}/health`, {
        timeout: timeoutMs,
        maxRedirects: 0,
        validateStatus: () => true,
      });
      return res.status === 200;
    } catch {
      return false;
    }
  };
}

/**
 * The servers of one fleet, in the order listed. Calls go to the current one; a server that
 * fails is passed over for a capped, jittered back-off and the next one up (round-robin)
 * becomes current. While not on the first listed server, the earlier ones are probed every
 * `preferFirstMs` and the first that answers becomes current again, so a fleet rebalances once
 * a server is back. With one server nothing ever moves.
 */
export class ServerPool {
  readonly urls: readonly string[];
  readonly #log: Logger | null;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #probe: (url: string) => Promise<boolean>;
  readonly #o: Required<ServerPoolOptions>;
  /** Failures in a row and the time until which each server is passed over. */
  readonly #failures: number[];
  readonly #downUntil: number[];
  #current = 0;
  #failovers = 0;
  #lastRecheck = 0;
  #rechecking: Promise<void> | null = null;

  constructor(urls: readonly string[], setup: ServerPoolSetup = {}) {
    if (urls.length === 0) throw new Error('a server pool needs at least one server');
    this.urls = [...urls];
    this.#log = setup.logger?.child({ module: 'server-pool' }) ?? null;
    this.#clock = setup.clock ?? Date.now;
    this.#random = setup.random ?? Math.random;
    this.#o = {
      preferFirstMs: setup.preferFirstMs ?? DEFAULTS.preferFirstMs,
      downBaseMs: setup.downBaseMs ?? DEFAULTS.downBaseMs,
      downCapMs: setup.downCapMs ?? DEFAULTS.downCapMs,
      probeTimeoutMs: setup.probeTimeoutMs ?? DEFAULTS.probeTimeoutMs,
    };
    this.#probe = setup.probe ?? healthProbe(this.#o.probeTimeoutMs);
    this.#failures = this.urls.map(() => 0);
    this.#downUntil = this.urls.map(() => 0);
  }

  /**
   * The index of the server the next call goes to. A current server that is down gives way to
   * the next one up in list order (round-robin); when every one is down, to the one whose
   * back-off ends first. Also starts a probe of the earlier servers when one is due.
   */
  current(): number {
    const now = this.#clock();
    if (this.#isDown(this.#current, now)) this.#moveTo(this.#nextUp(now), 'down', now);
    if (this.#current > 0 && now - this.#lastRecheck >= this.#o.preferFirstMs) void this.recheck();
    return this.#current;
  }

  /** The base URL of server `index`. */
  url(index: number): string {
    const url = this.urls[index];
    if (url === undefined) throw new RangeError(`no server ${index}`);
    return url;
  }

  /**
   * A call to server `index` got no answer, timed out or had a 5xx answer: it is passed over for
   * a back-off (longer each failure in a row) and, if it was current, the next one becomes so.
   */
  failed(index: number, reason: string): void {
    if (this.urls.length === 1) return;
    const now = this.#clock();
    const failures = (this.#failures[index] ?? 0) + 1;
    this.#failures[index] = failures;
    const delay = backoffDelay(failures - 1, {
      baseMs: this.#o.downBaseMs,
      capMs: this.#o.downCapMs,
      random: this.#random,
    });
    this.#downUntil[index] = now + delay;
    // Once per outage at warn: a fleet that stays down is tried again and again.
    const fields = { server: index, url: this.url(index), reason, downMs: delay };
    if (failures === 1) this.#log?.warn(fields, 'sync server failed');
    else this.#log?.debug(fields, 'sync server failed again');
    if (index === this.#current) this.#moveTo(this.#nextUp(now), 'failover', now);
  }

  /** Server `index` answered (any answer that is not a 5xx): it is up. */
  succeeded(index: number): void {
    this.#failures[index] = 0;
    this.#downUntil[index] = 0;
  }

  /** How long until server `index` is tried again (0: it is up). */
  downForMs(index: number): number {
    return Math.max(0, (this.#downUntil[index] ?? 0) - this.#clock());
  }

  /** Where the lane stands with its servers. */
  stats(): ServerPoolStats {
    return { index: this.#current, count: this.urls.length, failovers: this.#failovers };
  }

  /**
   * Probes the servers listed before the current one, in order; the first that answers becomes
   * current. One probe round at a time (a second call joins the running one).
   */
  recheck(): Promise<void> {
    this.#rechecking ??= this.#recheck().finally(() => {
      this.#rechecking = null;
    });
    return this.#rechecking;
  }

  async #recheck(): Promise<void> {
    this.#lastRecheck = this.#clock();
    const upTo = this.#current;
    for (let i = 0; i < upTo; i++) {
      const answers = await this.#probe(this.url(i)).catch(() => false);
      if (!answers) continue;
      this.succeeded(i);
      // Another call may have moved on meanwhile; only ever move to an earlier server.
      if (i < this.#current) this.#moveTo(i, 'preferred server answers again', this.#clock());
      return;
    }
  }

  #isDown(index: number, now: number): boolean {
    return (this.#downUntil[index] ?? 0) > now;
  }

  /** The first server up after the current one (round-robin), else the one down the shortest. */
  #nextUp(now: number): number {
    const n = this.urls.length;
    let soonest = this.#current;
    for (let step = 1; step <= n; step++) {
      const i = (this.#current + step) % n;
      if (!this.#isDown(i, now)) return i;
      if ((this.#downUntil[i] ?? 0) < (this.#downUntil[soonest] ?? 0)) soonest = i;
    }
    return soonest;
  }

  /**
   * Makes server `index` current. A move away from a failed server to one that is up counts as
   * a failover; while every server is down the lane goes round them, which is neither counted
   * nor logged above debug.
   */
  #moveTo(index: number, why: 'failover' | 'down' | 'preferred server answers again', now: number): void {
    if (index === this.#current) return;
    const from = this.#current;
    this.#current = index;
    // Leaving the first server: its probe is due one period from now, not at once.
    if (from === 0) this.#lastRecheck = now;
    const up = !this.#isDown(index, now);
    if (up && why !== 'preferred server answers again') this.#failovers++;
    const fields = { from, to: index, url: this.url(index), why, failovers: this.#failovers };
    if (up) this.#log?.info(fields, 'sync server changed');
    else this.#log?.debug(fields, 'sync server changed (every server is down)');
  }
}

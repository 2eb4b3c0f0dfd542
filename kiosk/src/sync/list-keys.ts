// Key rotation on the lane: when the server says its key scope has a new list key K (heartbeat
// `listKeyId`, a `list-key` push, a 410 `list_key_rotated`, or a snapshot keyed with a key the
// lane lacks), fetch it from GET /list-key, seal it in the vault, and re-snapshot each list keyed
// otherwise. Until a list's new snapshot is whole and swapped, the list and its old key keep
// deciding; a key no list uses is then dropped. Failures retry with back-off.
import { LIST_NAMES, type ListKeyAnswer, type ListName, type Result } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';

/** The list keys the lane holds (secrets/list-key-ring.ts keeps them in the sealed vault). */
export interface KeyRing {
  /** The id of the newest key held. */
  newestId(): number;
  /** Whether key `keyId` is held. */
  holds(keyId: number): boolean;
  /** Takes the server's current key in as the newest; older keys are kept only if in `inUse`. */
  adopt(answer: ListKeyAnswer, inUse: readonly number[]): Result<unknown, { readonly message: string }>;
  /** Drops every older key not in `inUse`. */
  prune(inUse: readonly number[]): Result<unknown, { readonly message: string }>;
}

/** What the list sync needs of the lane's keys. */
export interface ListKeySource {
  /** The id of the newest key held. */
  newestId(): number;
  /** Whether key `keyId` is held. */
  holds(keyId: number): boolean;
  /** Fetches the server's current key now (coalescing calls); resolves whether that succeeded. */
  fetch(): Promise<boolean>;
  /** A list was swapped to another key: keys no list uses may go. */
  swapped(): void;
}

/** A lane that only ever holds the fleet-wide key 0 (servers before key scopes; tests). */
export const KEY_ZERO_ONLY: ListKeySource = {
  newestId: () => 0,
  holds: (keyId) => keyId === 0,
  fetch: () => Promise.resolve(false),
  swapped: () => undefined,
};

/** Options of the key rotation. */
export interface ListKeysOptions {
  readonly api: Pick<ServerApi, 'listKey'>;
  readonly ring: KeyRing;
  /** The id of the key each list is keyed with now. */
  readonly keyIdOf: (list: ListName) => number;
  /** Brings a list up to date (a list keyed otherwise than the newest key takes a snapshot). */
  readonly sync: (list: ListName) => Promise<boolean>;
  readonly link: LinkState;
  readonly logger: Logger;
}

/** Fetches new list keys and brings every list onto the newest one. */
export class ListKeys implements ListKeySource {
  readonly #o: ListKeysOptions;
  readonly #log: Logger;
  #fetching: Promise<boolean> | null = null;
  #catchingUp: Promise<void> | null = null;
  /** A retry is scheduled (fetch or catch-up). */
  #retryAt: 'fetch' | 'catch-up' | null = null;
  #attempt = 0;

  constructor(options: ListKeysOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  newestId(): number {
    return this.#o.ring.newestId();
  }

  holds(keyId: number): boolean {
    return this.#o.ring.holds(keyId);
  }

  /** The ids of the keys the lists are keyed with now. */
  #inUse(): number[] {
    return LIST_NAMES.map((l) => this.#o.keyIdOf(l));
  }

  /** The server named its current key (heartbeat answer or `list-key` push): fetch it if new. */
  seen(keyId: number): void {
    if (keyId !== this.#o.ring.newestId()) void this.fetch();
  }

  fetch(): Promise<boolean> {
    this.#fetching ??= this.#fetchOnce().finally(() => {
      this.#fetching = null;
    });
    return this.#fetching;
  }

  async #fetchOnce(): Promise<boolean> {
    const { api, ring, link } = this.#o;
    if (!link.running() || link.revoked()) return false;
    const res = await api.listKey(link.signal);
    // Stopped meanwhile: the store may be closed; the next start asks again.
    if (!link.running()) return false;
    if (!res.ok) {
      link.failed(res.error, 'list key');
      this.#retry('fetch');
      return false;
    }
    link.succeeded();
    const adopted = ring.adopt(res.value, this.#inUse());
    if (!adopted.ok) {
      this.#log.error({ err: adopted.error.message }, 'new list key not taken; the lists keep their key');
      link.problem(`new list key not taken (${adopted.error.message}); the lists keep their key`);
      this.#retry('fetch');
      return false;
    }
    this.#attempt = 0;
    if (adopted.value === 'adopted')
      this.#log.info(
        { keyId: res.value.keyId },
        'new list key held; lists keyed otherwise are fetched again',
      );
    // Not awaited: a snapshot that asked for this key is itself one of the lists caught up.
    void this.#catchUp();
    return true;
  }

  /** Resolves once no key fetch or catch-up is running. */
  async settled(): Promise<void> {
    await Promise.allSettled([this.#fetching, this.#catchingUp]);
  }

  /** Syncs each list keyed otherwise than the newest key (a snapshot) until none is. */
  #catchUp(): Promise<void> {
    this.#catchingUp ??= (async () => {
      if (!this.#o.link.running()) return;
      const newest = this.#o.ring.newestId();
      const behind = LIST_NAMES.filter((l) => this.#o.keyIdOf(l) !== newest);
      const done = await Promise.all(behind.map((l) => this.#o.sync(l)));
      if (!this.#o.link.running()) return;
      if (done.includes(false) && LIST_NAMES.some((l) => this.#o.keyIdOf(l) !== newest)) {
        this.#retry('catch-up');
      } else {
        this.#attempt = 0;
      }
    })().finally(() => {
      this.#catchingUp = null;
    });
    return this.#catchingUp;
  }

  /** Tries again after the link's back-off (one retry scheduled at a time). */
  #retry(what: 'fetch' | 'catch-up'): void {
    const { link } = this.#o;
    if (this.#retryAt !== null) {
      // A fetch catches up too.
      if (what === 'fetch') this.#retryAt = what;
      return;
    }
    this.#retryAt = what;
    link.later(link.retryDelay(this.#attempt++), () => {
      const which = this.#retryAt;
      this.#retryAt = null;
      if (which === 'fetch') void this.fetch();
      else void this.#catchUp();
    });
  }

  swapped(): void {
    const pruned = this.#o.ring.prune(this.#inUse());
    if (!pruned.ok) this.#log.error({ err: pruned.error.message }, 'an unused list key could not be dropped');
  }
}

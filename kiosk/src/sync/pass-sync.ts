// The pass directory a lane checks lane passes against (issue 16): the public keys that sign
// passes and the revoked passes, fetched from `GET /api/v1/kiosk/passes` when the lists sync,
// when the server pushes `passes`, and on the safety-net poll. It is taken only signed by a
// list-signing key the lane trusts and never at a lower version than the one held; a refused
// directory leaves the one held in force, and the refusal is logged by its reason code alone.
import { passDirectoryMessage, type ListRefusalReason, type PassDirectory } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { LaneStore } from '../store/lane-store.js';
import type { LinkState } from './link-state.js';
import type { ListTrust } from './list-trust.js';
import type { ServerApi } from './server-api.js';

/** Why a pass directory was refused: a list refusal reason (signature, version). */
export type PassDirectoryRefusal = Extract<
  ListRefusalReason,
  'unsigned' | 'unknown_key' | 'retired_key' | 'bad_signature' | 'version_rollback'
>;

/** Options of the pass directory sync. */
export interface PassSyncOptions {
  readonly api: Pick<ServerApi, 'passes'>;
  readonly store: Pick<LaneStore, 'passDirectory' | 'replacePassDirectory' | 'markPassDirectorySynced'>;
  /** The list-signing keys the lane trusts (the directory is signed like list data). */
  readonly trust: Pick<ListTrust, 'verifyDetached'>;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Learns the server's keys now (a heartbeat): a signature by a key unknown before is then checked again. */
  readonly refreshKeys?: () => Promise<void>;
  /** A directory was refused (after it is logged). */
  readonly onRefused?: (reason: PassDirectoryRefusal) => void;
  /** A new directory was taken. */
  readonly onApplied?: (version: number) => void;
}

/**
 * Keeps the lane's pass directory the server's. Concurrent calls coalesce; every failure is a
 * value (offline: retried at the next sync; refused: the directory held stays in force).
 */
export class PassSync {
  readonly #o: PassSyncOptions;
  readonly #log: Logger;
  #busy: Promise<boolean> | null = null;
  #again = false;

  constructor(options: PassSyncOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Whether a fetch was asked for again while one ran (a method: it changes across awaits). */
  #askedAgain(): boolean {
    return this.#again;
  }

  /** Fetches the directory and takes it if it verifies and is newer; resolves true when the lane holds the server's. */
  sync(): Promise<boolean> {
    if (this.#busy !== null) {
      this.#again = true;
      return this.#busy;
    }
    const run = (async () => {
      let ok = false;
      do {
        this.#again = false;
        try {
          ok = await this.#syncOnce();
        } catch (err) {
          // Never a rejection nobody awaits (callers `void` this): the directory held keeps
          // deciding, and the next poll, push or reconnect tries again.
          this.#log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'pass directory sync failed; the directory held keeps deciding',
          );
          ok = false;
        }
      } while (this.#askedAgain() && this.#o.link.running());
      return ok;
    })().finally(() => {
      this.#busy = null;
    });
    this.#busy = run;
    return run;
  }

  /** The server says its directory is at `version` (a `passes` push): fetched when the lane holds less. */
  versionSeen(version: number): void {
    if (version > this.#o.store.passDirectory().version) void this.sync();
  }

  /** Fetches every `pollMs` (jittered ±20%) while the sync runs. */
  poll(pollMs: number): void {
    this.#o.link.later(pollMs * (0.8 + Math.random() * 0.4), () => {
      void this.sync();
      this.poll(pollMs);
    });
  }

  /** Resolves once no fetch is running. */
  async settled(): Promise<void> {
    await this.#busy?.catch(() => undefined);
  }

  async #syncOnce(): Promise<boolean> {
    const { api, link, store } = this.#o;
    if (link.revoked()) return false;
    const res = await api.passes();
    if (!res.ok) {
      if (res.error.kind === 'http' && res.error.status === 404) {
        this.#log.debug('the server has no pass directory; keeping the one held');
        link.succeeded();
        return false;
      }
      if (res.error.kind === 'invalid') {
        this.#log.warn('invalid pass directory from the server refused; the old directory keeps deciding');
        link.problem('invalid pass directory from the server refused');
        return false;
      }
      link.failed(res.error, 'passes');
      return false;
    }
    link.succeeded();
    const { directory, signature } = res.value;
    const checked = await this.#verified(directory, signature);
    if (checked !== null) return this.#refuse(checked, directory.version);
    const held = store.passDirectory();
    const now = this.#o.clock();
    if (directory.version < held.version) return this.#refuse('version_rollback', directory.version);
    if (directory.version === held.version && held.syncedAt !== null) {
      store.markPassDirectorySynced(now);
      return true;
    }
    try {
      store.replacePassDirectory(directory, now);
    } catch (error) {
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'pass directory not stored; the old directory keeps deciding',
      );
      link.problem('pass directory not stored');
      return false;
    }
    this.#log.info(
      {
        from: held.version,
        to: directory.version,
        keys: directory.keys.length,
        revoked: directory.revoked.length,
      },
      'pass directory applied',
    );
    link.changed();
    this.#o.onApplied?.(directory.version);
    return true;
  }

  /**
   * Null when a trusted key signed exactly this directory; else why not, after learning the
   * server's keys once when the signature names a key the lane does not know.
   */
  async #verified(
    directory: PassDirectory,
    signature: string | undefined,
  ): Promise<PassDirectoryRefusal | null> {
    let message: string;
    try {
      message = passDirectoryMessage(directory);
    } catch {
      return 'bad_signature';
    }
    const check = () => this.#o.trust.verifyDetached(message, signature, this.#o.clock());
    let r = check();
    if (!r.ok && r.error === 'unknown_key' && this.#o.refreshKeys !== undefined) {
      await this.#o.refreshKeys();
      r = check();
    }
    if (r.ok) return null;
    return r.error === 'unsigned' || r.error === 'unknown_key' || r.error === 'retired_key'
      ? r.error
      : 'bad_signature';
  }

  #refuse(reason: PassDirectoryRefusal, version: number): false {
    // The reason and the version offered; never a key, a pass id or anything of a pass's holder.
    this.#log.warn(
      { reason, offered: version, held: this.#o.store.passDirectory().version },
      'pass directory refused; the old directory keeps deciding',
    );
    this.#o.link.problem(`pass directory refused (${reason}); the old directory keeps deciding`);
    this.#o.onRefused?.(reason);
    return false;
  }
}

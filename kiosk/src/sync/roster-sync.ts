import type { Logger } from 'pino';
import type { OfficerRoster } from '../agent/officers.js';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';

/** Options of the officer roster sync. */
export interface RosterSyncOptions {
  readonly api: Pick<ServerApi, 'officers'>;
  readonly link: LinkState;
  readonly logger: Logger;
  /** The officer roster version the lane holds (0: none from the server yet). */
  readonly version?: () => number;
  /** Takes in a new officer roster from the server (never one of version 0); without it, nothing is fetched. */
  readonly onRoster?: (roster: OfficerRoster) => void;
  /** Whether a fetched roster may be adopted (its signature); without it, every roster is. */
  readonly verify?: (roster: OfficerRoster, signature: string | undefined) => boolean;
}

/**
 * Keeps the lane's officer roster the server's: fetched at start, when a heartbeat or a push
 * names another version, and handed over when its version differs from the lane's.
 */
export class RosterSync {
  readonly #o: RosterSyncOptions;
  readonly #log: Logger;
  #busy: Promise<boolean> | null = null;
  #again = false;

  constructor(options: RosterSyncOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Whether the roster was asked for again while a fetch ran (read through a method: it changes across awaits). */
  #askedAgain(): boolean {
    return this.#again;
  }

  /**
   * Fetches the officer roster and hands it over when its version differs from the lane's.
   * A server that never had officers (version 0) leaves the lane's own file in force; a
   * failure (offline, bad data) leaves the last roster in force. Concurrent calls coalesce.
   */
  sync(): Promise<boolean> {
    if (this.#o.onRoster === undefined) return Promise.resolve(false);
    if (this.#busy) {
      this.#again = true;
      return this.#busy;
    }
    const run = (async () => {
      let ok = false;
      do {
        this.#again = false;
        ok = await this.#syncOnce();
      } while (this.#askedAgain() && this.#o.link.running());
      return ok;
    })().finally(() => {
      this.#busy = null;
    });
    this.#busy = run;
    return run;
  }

  /** The server named its roster version (heartbeat answer or push): fetch it if it differs. */
  versionSeen(version: unknown): void {
    if (typeof version !== 'number' || !Number.isInteger(version) || version <= 0) return;
    if (version !== (this.#o.version?.() ?? 0)) void this.sync();
  }

  /** Resolves once no fetch is running. */
  async settled(): Promise<void> {
    await this.#busy?.catch(() => undefined);
  }

  async #syncOnce(): Promise<boolean> {
    const link = this.#o.link;
    if (link.revoked()) return false;
    const res = await this.#o.api.officers();
    if (!res.ok) {
      if (res.error.kind === 'http' && res.error.status === 404) {
        this.#log.debug('the server has no officer rosters; keeping the local officers');
        return false;
      }
      if (res.error.kind === 'invalid') {
        this.#log.error('invalid officer roster from the server rejected; officers kept as they were');
        link.problem(res.error.message);
        return false;
      }
      link.failed(res.error, 'officers');
      return false;
    }
    link.succeeded();
    const { signature, ...roster } = res.value;
    const current = this.#o.version?.() ?? 0;
    if (roster.version === 0 || roster.version === current) return true;
    if (this.#o.verify !== undefined && !this.#o.verify(roster, signature)) return false;
    this.#o.onRoster?.(roster);
    this.#log.info(
      { from: current, to: roster.version, officers: roster.officers.length },
      'officer roster applied',
    );
    return true;
  }
}

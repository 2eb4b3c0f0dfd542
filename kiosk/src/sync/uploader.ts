import type { Logger } from 'pino';
import type { LaneStore } from '../store/lane-store.js';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';

/** Options of the uploader. */
export interface UploaderOptions {
  readonly api: Pick<ServerApi, 'uploadRecords'>;
  readonly store: LaneStore;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Records per upload. */
  readonly batch?: number;
  /** Idle wait between outbox checks when nothing wakes the uploader. */
  readonly idleMs?: number;
}

/** How long acknowledged records stay in the outbox (the desk shows recent ones after a restart). */
const KEEP_ACKNOWLEDGED_MS = 7 * 24 * 3600_000;

/**
 * Empties the outbox: batched, idempotent uploads that delete nothing before the server
 * acknowledges it (the store applies the acknowledgement rules), woken by new records and by
 * the link coming back, with capped, jittered back-off while the server fails or holds less
 * than the lane sent.
 */
export class Uploader {
  readonly #o: UploaderOptions;
  readonly #log: Logger;
  #wake: (() => void) | null = null;
  #done: Promise<void> = Promise.resolve();
  #attempt = 0;

  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#log = options.logger;
    // Back online: upload the backlog now rather than when the offline back-off runs out.
    options.link.onReconnect(() => {
      this.#attempt = 0;
      this.#wake?.();
    });
  }

  /** Starts the upload loop (the link must be running). */
  start(): void {
    this.#done = this.#loop();
  }

  /** Resolves once the loop has ended (after the link stopped). */
  async stop(): Promise<void> {
    this.#wake?.();
    await this.#done;
  }

  /**
   * Wakes the uploader for a new record. While offline only urgent records (F0/F1 hits) do,
   * so a busy offline lane does not hammer a dead link; coming back online wakes it anyway.
   */
  request(urgent = true): void {
    if (urgent || this.#o.link.online()) this.#wake?.();
  }

  async #loop(): Promise<void> {
    const { store, link, api } = this.#o;
    const batchSize = this.#o.batch ?? 500;
    // Set while the server holds less than the lane's mark (restored from a backup): the
    // records after the server's mark that the lane still holds go again. The mark stays.
    let resendAfter: number | null = null;
    let gapReported = false;
    while (link.running()) {
      if (link.revoked()) return;
      const records = store.pendingRecords(batchSize, resendAfter ?? undefined);
      if (records.length === 0) {
        await this.#waitForWork(this.#o.idleMs ?? 5000);
        continue;
      }
      if (resendAfter !== null && records[0]?.seq !== resendAfter + 1 && !gapReported) {
        gapReported = true;
        this.#log.error(
          { server: resendAfter, firstHeld: records[0]?.seq },
          'the server lost records this lane no longer holds; sending what it has',
        );
      }
      const res = await api.uploadRecords(records);
      if (!res.ok) {
        link.failed(res.error, 'upload');
        await this.#waitForWork(link.retryDelay(this.#attempt++));
        continue;
      }
      link.succeeded();
      // Never take an acknowledgement beyond what this batch carried; never move back.
      const ack = store.takeAcknowledgement(res.value, records.at(-1)?.seq);
      const progressed = res.value > (resendAfter ?? ack.previous);
      if (ack.serverBehind) {
        if (resendAfter === null)
          this.#log.warn(
            { server: res.value, lane: ack.previous },
            'server acknowledges less than before; resending',
          );
        resendAfter = res.value;
      } else {
        resendAfter = null;
        gapReported = false;
      }
      store.pruneAcknowledged(this.#o.clock() - KEEP_ACKNOWLEDGED_MS);
      link.changed();
      if (progressed) this.#attempt = 0;
      else await this.#waitForWork(link.retryDelay(this.#attempt++));
    }
  }

  /** Waits `ms`, or less if woken (new work) or stopped. */
  #waitForWork(ms: number): Promise<void> {
    const link = this.#o.link;
    if (!link.running()) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = link.signal;
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }
}

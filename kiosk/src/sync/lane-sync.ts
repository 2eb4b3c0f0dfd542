import type { Readable } from 'node:stream';
import {
  SnapshotDecoder,
  type CheckpointConfig,
  type DecodedEntry,
  type ListName,
  LIST_NAMES,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { OfficerRoster } from '../agent/officers.js';
import type { DeviceState } from '../scanners/scanner.js';
import type { LaneHealthEntry, LaneStore, LaneWhitelistEntry } from '../store/lane-store.js';
import { backoffDelay } from '../util/backoff.js';
import type { ApiFailure, ServerApi } from './server-api.js';
import { parseKioskEvent } from './kiosk-events.js';
import { SseParser } from './sse-parser.js';
import { isValidHere, toHealthChanges, toWhitelistChanges } from './wire-changes.js';

/** What the lane knows of its link to the server, for the status strip and heartbeats. */
export interface SyncStatus {
  readonly online: boolean;
  readonly revoked: boolean;
  readonly listVersions: Readonly<Record<ListName, number>>;
  readonly listsSyncedAt: Readonly<Record<ListName, number | null>>;
  readonly backlog: number;
  /** Server clock minus lane clock, from the last heartbeat (ms). */
  readonly clockSkewMs: number | null;
  readonly lastError: string | null;
}

/** Options of the lane's sync engine. */
export interface LaneSyncOptions {
  readonly api: ServerApi;
  readonly store: LaneStore;
  readonly logger: Logger;
  readonly checkpoint: () => CheckpointConfig;
  readonly devices: () => readonly DeviceState[];
  readonly clock?: () => number;
  readonly onStatus?: (status: SyncStatus) => void;
  readonly onCheckpoint?: (checkpoint: CheckpointConfig) => void;
  /** The officer roster version the lane holds (0: none from the server yet). */
  readonly officersVersion?: () => number;
  /** Takes in a new officer roster from the server (never one of version 0). */
  readonly onOfficers?: (roster: OfficerRoster) => void;
  /** Safety-net poll of both lists (jittered ±20%). */
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  /** Idle wait between outbox checks when nothing wakes the uploader. */
  readonly uploadIdleMs?: number;
  readonly uploadBatch?: number;
  readonly retry?: { readonly baseMs: number; readonly capMs: number };
}

const SNAPSHOT_BATCH = 20_000;

/**
 * Keeps a lane's lists current and its outbox empty: snapshot bootstrap, then deltas; SSE
 * pushes plus a jittered poll; urgent F0/F1 changes applied the moment they arrive; batched,
 * idempotent uploads that delete nothing before the server acknowledges it; heartbeats. Every
 * failure is a value that leads to a retry with capped, jittered back-off; none stops the lane.
 */
export class LaneSync {
  readonly #o: LaneSyncOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  #running = false;
  #abort = new AbortController();
  #timers = new Set<NodeJS.Timeout>();
  readonly #listBusy = new Map<ListName, Promise<boolean>>();
  /** Lists asked for again while a sync of them was running. */
  readonly #listAgain = new Set<ListName>();
  #wakeUploader: (() => void) | null = null;
  #uploaderDone: Promise<void> = Promise.resolve();
  #online = false;
  #uploadAttempt = 0;
  #revoked = false;
  #clockSkewMs: number | null = null;
  #lastError: string | null = null;
  #heartbeatPending = false;
  #officersBusy: Promise<boolean> | null = null;
  #officersAgain = false;
  /** Checkpoint configs pushed over SSE so far (a heartbeat answer older than one is not applied). */
  #checkpointPushes = 0;

  constructor(options: LaneSyncOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'lane-sync' });
    this.#clock = options.clock ?? Date.now;
  }

  /** Read through a method: the flag changes across awaits, which flow analysis cannot see. */
  #isRunning(): boolean {
    return this.#running;
  }

  /** Whether the roster was asked for again while a fetch ran (read through a method, as above). */
  #askedAgain(): boolean {
    return this.#officersAgain;
  }

  /** The current sync status. */
  status(): SyncStatus {
    const store = this.#o.store;
    const health = store.listState('health');
    const whitelist = store.listState('whitelist');
    return {
      online: this.#online,
      revoked: this.#revoked,
      listVersions: { health: health.version, whitelist: whitelist.version },
      listsSyncedAt: { health: health.syncedAt, whitelist: whitelist.syncedAt },
      backlog: store.backlog().count,
      clockSkewMs: this.#clockSkewMs,
      lastError: this.#lastError,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#heartbeatPending = false;
    this.#abort = new AbortController();
    for (const list of LIST_NAMES) void this.syncList(list);
    void this.syncOfficers();
    void this.#eventsLoop();
    this.#schedulePoll();
    this.#every(this.#o.heartbeatMs ?? 30_000, () => this.heartbeat(), true);
    this.#uploaderDone = this.#uploadLoop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#wakeUploader?.();
    await this.#uploaderDone;
    await Promise.allSettled([...this.#listBusy.values(), this.#officersBusy]);
  }

  /**
   * Fetches the officer roster and hands it over when its version differs from the lane's.
   * A server that never had officers (version 0) leaves the lane's own file in force; a
   * failure (offline, bad data) leaves the last roster in force. Concurrent calls coalesce.
   */
  syncOfficers(): Promise<boolean> {
    if (this.#o.onOfficers === undefined) return Promise.resolve(false);
    if (this.#officersBusy) {
      this.#officersAgain = true;
      return this.#officersBusy;
    }
    const run = (async () => {
      let ok = false;
      do {
        this.#officersAgain = false;
        ok = await this.#syncOfficersOnce();
      } while (this.#askedAgain() && this.#isRunning());
      return ok;
    })().finally(() => {
      this.#officersBusy = null;
    });
    this.#officersBusy = run;
    return run;
  }

  async #syncOfficersOnce(): Promise<boolean> {
    if (this.#revoked) return false;
    const res = await this.#o.api.officers();
    if (!res.ok) {
      if (res.failure.kind === 'http' && res.failure.status === 404) {
        this.#log.debug('the server has no officer rosters; keeping the local officers');
        return false;
      }
      if (res.failure.kind === 'invalid') {
        this.#lastError = res.failure.message;
        this.#log.error('invalid officer roster from the server rejected; officers kept as they were');
        this.#emitStatus();
        return false;
      }
      this.#failed(res.failure, 'officers');
      return false;
    }
    this.#succeeded();
    const roster = res.value;
    const current = this.#o.officersVersion?.() ?? 0;
    if (roster.version === 0 || roster.version === current) return true;
    this.#o.onOfficers?.(roster);
    this.#log.info(
      { from: current, to: roster.version, officers: roster.officers.length },
      'officer roster applied',
    );
    return true;
  }

  #officersVersionSeen(version: unknown): void {
    if (typeof version !== 'number' || !Number.isInteger(version) || version <= 0) return;
    if (version !== (this.#o.officersVersion?.() ?? 0)) void this.syncOfficers();
  }

  /**
   * Wakes the uploader for a new record. While offline only urgent records (F0/F1 hits) do,
   * so a busy offline lane does not hammer a dead link; coming back online wakes it anyway.
   */
  requestUpload(urgent = true): void {
    if (urgent || this.#online) this.#wakeUploader?.();
  }

  /** Brings one list up to date; resolves true on success. Concurrent calls coalesce. */
  syncList(list: ListName): Promise<boolean> {
    const busy = this.#listBusy.get(list);
    if (busy) {
      this.#listAgain.add(list);
      return busy;
    }
    const run = (async () => {
      let ok = false;
      do {
        this.#listAgain.delete(list);
        ok = await this.#syncListOnce(list);
      } while (this.#listAgain.has(list) && this.#isRunning());
      return ok;
    })().finally(() => {
      this.#listBusy.delete(list);
    });
    this.#listBusy.set(list, run);
    return run;
  }

  async #syncListOnce(list: ListName): Promise<boolean> {
    if (this.#revoked) return false;
    const state = this.#o.store.listState(list);
    if (state.version === 0) return this.#snapshot(list);
    const res = await this.#o.api.changes(list, state.version);
    if (!res.ok) {
      if (res.failure.kind === 'http' && (res.failure.status === 410 || res.failure.status === 409)) {
        this.#log.info({ list, status: res.failure.status }, 'delta unavailable; taking a snapshot');
        return this.#snapshot(list);
      }
      this.#failed(res.failure, `changes ${list}`);
      return false;
    }
    this.#succeeded();
    const delta = res.value;
    const now = this.#clock();
    if (delta.fromVersion !== state.version || delta.toVersion < delta.fromVersion) {
      this.#log.warn({ list }, 'delta does not start at our version; taking a snapshot');
      return this.#snapshot(list);
    }
    if (delta.toVersion === delta.fromVersion) {
      this.#o.store.markSynced(list, now);
      this.#emitStatus();
      return true;
    }
    const checkpointId = this.#o.checkpoint().id;
    let applied: boolean;
    if (list === 'health') {
      const changes = toHealthChanges(delta.changes);
      if (changes === null) return this.#rejectDelta(list);
      applied = this.#o.store.applyHealthChanges(delta.fromVersion, delta.toVersion, changes, now);
    } else {
      const changes = toWhitelistChanges(delta.changes, checkpointId);
      if (changes === null) return this.#rejectDelta(list);
      applied = this.#o.store.applyWhitelistChanges(delta.fromVersion, delta.toVersion, changes, now);
    }
    if (applied) {
      this.#log.info(
        { list, from: delta.fromVersion, to: delta.toVersion, changes: delta.changes.length },
        'delta applied',
      );
      this.#emitStatus();
      this.heartbeatSoon();
    } else {
      this.#listAgain.add(list);
    }
    return applied;
  }

  #rejectDelta(list: ListName): boolean {
    this.#lastError = `malformed ${list} delta from the server`;
    this.#log.error({ list }, 'malformed delta rejected; list kept as it was');
    this.#emitStatus();
    return false;
  }

  async #snapshot(list: ListName): Promise<boolean> {
    const res = await this.#o.api.snapshot(list, this.#abort.signal);
    if (!res.ok) {
      this.#failed(res.failure, `snapshot ${list}`);
      return false;
    }
    const started = this.#clock();
    this.#log.info({ list, version: res.value.version }, 'snapshot started');
    const checkpointId = this.#o.checkpoint().id;
    const store = this.#o.store;
    const replacement = list === 'health' ? store.replaceHealthList() : store.replaceWhitelist();
    const decoder = new SnapshotDecoder();
    let batch: (LaneHealthEntry | LaneWhitelistEntry)[] = [];
    const toLane = (e: DecodedEntry): LaneHealthEntry | LaneWhitelistEntry =>
      e.list === 'health'
        ? { key: e.key, entry: e.entry }
        : {
            key: e.key,
            entry: {
              category: e.entry.category,
              validFrom: e.entry.validFrom,
              validUntil: e.entry.validUntil,
            },
            validHere: isValidHere(e.entry, checkpointId),
          };
    const flush = (): void => {
      (replacement.add as (entries: readonly (LaneHealthEntry | LaneWhitelistEntry)[]) => void)(batch);
      batch = [];
    };
    try {
      for await (const chunk of res.value.stream as AsyncIterable<Buffer>) {
        for (const e of decoder.push(chunk)) {
          if (e.list !== list) throw new Error(`snapshot is of the ${e.list} list, not ${list}`);
          // Only what applies here is kept (an older server still sends other checkpoints').
          if (e.list === 'whitelist' && !isValidHere(e.entry, checkpointId)) continue;
          batch.push(toLane(e));
          if (batch.length >= SNAPSHOT_BATCH) flush();
        }
      }
      flush();
      const header = decoder.end();
      // Health snapshots are the same for every lane; whitelist ones are made for one checkpoint.
      if (list === 'whitelist' && header.checkpointId !== checkpointId) {
        throw new Error('whitelist snapshot made for another checkpoint');
      }
      replacement.commit(header.version, this.#clock());
      this.#succeeded();
      this.#log.info(
        { list, version: header.version, entries: header.count, ms: this.#clock() - started },
        'snapshot applied',
      );
      this.#emitStatus();
      this.heartbeatSoon();
      return true;
    } catch (error) {
      replacement.abort();
      destroyQuietly(res.value.stream);
      if (!this.#running) return false;
      this.#lastError = `snapshot ${list}: ${error instanceof Error ? error.message : String(error)}`;
      this.#log.warn({ list, err: this.#lastError }, 'snapshot failed; list kept as it was');
      this.#emitStatus();
      return false;
    }
  }

  async #eventsLoop(): Promise<void> {
    let attempt = 0;
    while (this.#running && !this.#revoked) {
      const res = await this.#o.api.events(this.#abort.signal);
      if (res.ok) {
        attempt = 0;
        this.#succeeded();
        this.#log.info('event stream connected');
        await this.#readEvents(res.value);
        if (!this.#isRunning()) return;
        this.#log.info('event stream ended');
      } else {
        this.#failed(res.failure, 'events');
      }
      await this.#sleep(backoffDelay(attempt++, this.#o.retry ?? { baseMs: 1000, capMs: 60_000 }));
    }
  }

  async #readEvents(stream: Readable): Promise<void> {
    const parser = new SseParser();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const event of parser.push(chunk.toString('utf8'))) this.#onEvent(event.event, event.data);
      }
    } catch {
      // The connection dropped (or we are stopping): the loop reconnects.
    }
  }

  #onEvent(name: string, data: string): void {
    const parsed = parseKioskEvent(name, data);
    if (!parsed.ok) {
      if (parsed.reason === 'unknown') this.#log.debug({ event: name }, 'unknown event ignored');
      else this.#log.warn({ event: name, reason: parsed.reason }, 'bad event ignored');
      return;
    }
    const e = parsed.event;
    switch (e.type) {
      case 'hello':
        // A change made while the stream was down was pushed to nobody: ask for the config now.
        this.heartbeatSoon();
        return;
      case 'list-version':
        if (e.data.version > this.#o.store.listState(e.data.list).version) void this.syncList(e.data.list);
        return;
      case 'urgent': {
        const toVersion = e.data.toVersion ?? Number.POSITIVE_INFINITY;
        const changes = toHealthChanges(e.data.changes);
        if (changes !== null && this.#o.store.listState('health').version < toVersion) {
          this.#o.store.overlayHealth(changes.flatMap((c) => (c.op === 'put' ? [c.value] : [])));
          this.#log.info({ changes: changes.length }, 'urgent health changes applied');
        }
        void this.syncList('health');
        return;
      }
      case 'checkpoint':
        this.#checkpointPushed(e.data);
        return;
      case 'officers':
        this.#officersVersionSeen(e.data.version);
        return;
      case 'revoked':
        this.#revoked = true;
        this.#lastError = 'this lane was revoked by the centre';
        this.#log.error('lane revoked: sync stopped; the lane keeps deciding from its last lists');
        this.#abort.abort();
        this.#emitStatus();
        return;
      default: {
        // A new event in KIOSK_EVENT_SCHEMAS without a branch here does not compile.
        const unhandled: never = e;
        return unhandled;
      }
    }
  }

  /**
   * A checkpoint config pushed by the server: in force at once (mode, freshness budget,
   * blocking statuses), not at the next heartbeat. A heartbeat answer already on its way was
   * read before this push, so it must not put the old config back (see `heartbeat`).
   */
  #checkpointPushed(config: CheckpointConfig): void {
    const mine = this.#o.checkpoint().id;
    if (config.id !== mine) {
      this.#log.warn({ checkpoint: config.id, mine }, 'config of another checkpoint ignored');
      return;
    }
    this.#checkpointPushes++;
    this.#o.onCheckpoint?.(config);
    this.#log.info({ checkpoint: config.id, mode: config.mode }, 'checkpoint config pushed');
  }

  async #uploadLoop(): Promise<void> {
    const batchSize = this.#o.uploadBatch ?? 500;
    const store = this.#o.store;
    // Set while the server holds less than the lane's mark (restored from a backup): the
    // records after the server's mark that the lane still holds go again. The mark stays.
    let resendAfter: number | null = null;
    let gapReported = false;
    while (this.#running) {
      if (this.#revoked) return;
      const records = store.pendingRecords(batchSize, resendAfter ?? undefined);
      if (records.length === 0) {
        await this.#waitForWork(this.#o.uploadIdleMs ?? 5000);
        continue;
      }
      if (resendAfter !== null && records[0]?.seq !== resendAfter + 1 && !gapReported) {
        gapReported = true;
        this.#log.error(
          { server: resendAfter, firstHeld: records[0]?.seq },
          'the server lost records this lane no longer holds; sending what it has',
        );
      }
      const res = await this.#o.api.uploadRecords(records);
      if (res.ok) {
        this.#succeeded();
        const before = store.ackedThrough();
        const progressed = res.value > (resendAfter ?? before);
        // Never take an acknowledgement beyond what this batch carried; never move back.
        store.acknowledge(res.value, records.at(-1)?.seq ?? before);
        if (res.value < before) {
          if (resendAfter === null)
            this.#log.warn(
              { server: res.value, lane: before },
              'server acknowledges less than before; resending',
            );
          resendAfter = res.value;
        } else {
          resendAfter = null;
          gapReported = false;
        }
        store.pruneAcknowledged(this.#clock() - 7 * 24 * 3600_000);
        this.#emitStatus();
        if (progressed) this.#uploadAttempt = 0;
        else
          await this.#waitForWork(
            backoffDelay(this.#uploadAttempt++, this.#o.retry ?? { baseMs: 1000, capMs: 60_000 }),
          );
      } else {
        this.#failed(res.failure, 'upload');
        await this.#waitForWork(
          backoffDelay(this.#uploadAttempt++, this.#o.retry ?? { baseMs: 1000, capMs: 60_000 }),
        );
      }
    }
  }

  /**
   * Sends a heartbeat within a second (coalescing calls), so the fleet view sees a new list
   * version or device state now rather than at the next periodic heartbeat.
   */
  heartbeatSoon(): void {
    if (this.#heartbeatPending) return;
    this.#heartbeatPending = true;
    this.#later(1000, () => {
      this.#heartbeatPending = false;
      void this.heartbeat();
    });
  }

  /** Sends a heartbeat; adopts the checkpoint config the server answers with. */
  async heartbeat(): Promise<void> {
    const store = this.#o.store;
    const pushesBefore = this.#checkpointPushes;
    const res = await this.#o.api.heartbeat({
      listVersions: {
        health: store.listState('health').version,
        whitelist: store.listState('whitelist').version,
      },
      backlog: store.backlog().count,
      devices: this.#o
        .devices()
        .map((d) => ({ name: d.device.slice(0, 64), kind: d.kind, status: d.status })),
      clock: this.#clock(),
    });
    if (!res.ok) {
      this.#failed(res.failure, 'heartbeat');
      return;
    }
    this.#succeeded();
    this.#clockSkewMs = res.value.serverTime - this.#clock();
    // A config pushed while this heartbeat was in flight is newer than its answer.
    if (this.#checkpointPushes === pushesBefore) this.#o.onCheckpoint?.(res.value.checkpoint);
    this.#officersVersionSeen(res.value.officersVersion);
    this.#emitStatus();
  }

  #schedulePoll(): void {
    const base = this.#o.pollMs ?? 60_000;
    const delay = base * (0.8 + Math.random() * 0.4);
    this.#later(delay, () => {
      for (const list of LIST_NAMES) void this.syncList(list);
      this.#schedulePoll();
    });
  }

  #every(ms: number, task: () => Promise<void>, now = false): void {
    const run = (): void => {
      void task().finally(() => {
        this.#later(ms, run);
      });
    };
    if (now) run();
    else this.#later(ms, run);
  }

  #later(ms: number, task: () => void): void {
    if (!this.#running) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#running) task();
    }, ms);
    this.#timers.add(t);
  }

  #sleep(ms: number): Promise<void> {
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

  /** Waits `ms`, or less if woken (new work) or stopped. */
  #waitForWork(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        if (this.#wakeUploader === done) this.#wakeUploader = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#wakeUploader = done;
    });
  }

  #succeeded(): void {
    if (!this.#online) {
      this.#online = true;
      this.#lastError = null;
      this.#log.info('server reachable');
      // Back online: upload the backlog now rather than when the offline back-off runs out.
      this.#uploadAttempt = 0;
      this.#wakeUploader?.();
      this.#emitStatus();
    }
  }

  #failed(failure: ApiFailure, what: string): void {
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
    this.#emitStatus();
  }

  #emitStatus(): void {
    this.#o.onStatus?.(this.status());
  }
}

function destroyQuietly(stream: Readable): void {
  try {
    stream.destroy();
  } catch {
    // already gone
  }
}

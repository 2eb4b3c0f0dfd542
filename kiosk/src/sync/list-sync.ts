import type { Readable } from 'node:stream';
import { LIST_NAMES, SnapshotDecoder, type ListName, type WireChange } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { LaneStore } from '../store/lane-store.js';
import { LIST_DESCRIPTORS, type LaneEntry, type ListEntry } from '../store/list-descriptors.js';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';
import { toLaneChanges } from './wire-changes.js';

/** Options of the list sync. */
export interface ListSyncOptions {
  readonly api: Pick<ServerApi, 'changes' | 'snapshot'>;
  readonly store: LaneStore;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly clock: () => number;
  /** This lane's checkpoint (whitelist entries of others are not kept). */
  readonly checkpointId: () => string;
  /** A list moved to a new version (the heartbeat reports it soon). */
  readonly onApplied?: () => void;
}

const SNAPSHOT_BATCH = 20_000;

/**
 * Keeps each list current: a snapshot when the lane has none (or the server has no delta
 * from its version), else the changes since its version, applied in one transaction; urgent
 * health entries overlaid the moment they are pushed; a jittered safety-net poll. A malformed
 * delta or snapshot leaves the list as it was.
 */
export class ListSync {
  readonly #o: ListSyncOptions;
  readonly #log: Logger;
  readonly #busy = new Map<ListName, Promise<boolean>>();
  /** Lists asked for again while a sync of them was running. */
  readonly #again = new Set<ListName>();

  constructor(options: ListSyncOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Brings one list up to date; resolves true on success. Concurrent calls coalesce. */
  sync(list: ListName): Promise<boolean> {
    const busy = this.#busy.get(list);
    if (busy) {
      this.#again.add(list);
      return busy;
    }
    const run = (async () => {
      let ok = false;
      do {
        this.#again.delete(list);
        ok = await this.#syncOnce(list);
      } while (this.#again.has(list) && this.#o.link.running());
      return ok;
    })().finally(() => {
      this.#busy.delete(list);
    });
    this.#busy.set(list, run);
    return run;
  }

  /** The server announced `version` of a list: sync it if the lane is behind. */
  versionSeen(list: ListName, version: number): void {
    if (version > this.#o.store.listState(list).version) void this.sync(list);
  }

  /**
   * Health entries pushed ahead of their delta: written at once (without moving the list's
   * version) unless the lane already holds `toVersion`; then the delta is fetched.
   */
  urgent(changes: readonly WireChange[], toVersion = Number.POSITIVE_INFINITY): void {
    const lane = toLaneChanges('health', changes, this.#o.checkpointId());
    if (lane !== null && this.#o.store.listState('health').version < toVersion) {
      this.#o.store.overlayHealth(lane.flatMap((c) => (c.op === 'put' ? [c.value] : [])));
      this.#log.info({ changes: lane.length }, 'urgent health changes applied');
    }
    void this.sync('health');
  }

  /** Polls both lists every `pollMs` (jittered ±20%) while the sync runs. */
  poll(pollMs: number): void {
    this.#o.link.later(pollMs * (0.8 + Math.random() * 0.4), () => {
      for (const list of LIST_NAMES) void this.sync(list);
      this.poll(pollMs);
    });
  }

  /** Resolves once no list sync is running. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#busy.values());
  }

  async #syncOnce(list: ListName): Promise<boolean> {
    const { store, link, api } = this.#o;
    if (link.revoked()) return false;
    const state = store.listState(list);
    if (state.version === 0) return this.#snapshot(list);
    const res = await api.changes(list, state.version);
    if (!res.ok) {
      if (res.error.kind === 'http' && (res.error.status === 410 || res.error.status === 409)) {
        this.#log.info({ list, status: res.error.status }, 'delta unavailable; taking a snapshot');
        return this.#snapshot(list);
      }
      link.failed(res.error, `changes ${list}`);
      return false;
    }
    link.succeeded();
    const delta = res.value;
    const now = this.#o.clock();
    if (delta.fromVersion !== state.version || delta.toVersion < delta.fromVersion) {
      this.#log.warn({ list }, 'delta does not start at our version; taking a snapshot');
      return this.#snapshot(list);
    }
    if (delta.toVersion === delta.fromVersion) {
      store.markSynced(list, now);
      link.changed();
      return true;
    }
    const changes = toLaneChanges(list, delta.changes, this.#o.checkpointId());
    if (changes === null) {
      link.problem(`malformed ${list} delta from the server`);
      this.#log.error({ list }, 'malformed delta rejected; list kept as it was');
      return false;
    }
    const applied = store.applyChanges(list, delta.fromVersion, delta.toVersion, changes, now);
    if (applied) {
      this.#log.info(
        { list, from: delta.fromVersion, to: delta.toVersion, changes: delta.changes.length },
        'delta applied',
      );
      link.changed();
      this.#o.onApplied?.();
    } else {
      this.#again.add(list);
    }
    return applied;
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- L ties the descriptor, replacement and batch to one list
  async #snapshot<L extends ListName>(list: L): Promise<boolean> {
    const { store, link, api, clock } = this.#o;
    const res = await api.snapshot(list, link.signal);
    if (!res.ok) {
      link.failed(res.error, `snapshot ${list}`);
      return false;
    }
    const started = clock();
    this.#log.info({ list, version: res.value.version }, 'snapshot started');
    const checkpointId = this.#o.checkpointId();
    const d = LIST_DESCRIPTORS[list];
    const replacement = store.replaceList(list);
    const decoder = new SnapshotDecoder();
    let batch: LaneEntry<L>[] = [];
    try {
      for await (const chunk of res.value.stream as AsyncIterable<Buffer>) {
        for (const e of decoder.push(chunk)) {
          if (e.list !== list) throw new Error(`snapshot is of the ${e.list} list, not ${list}`);
          // Only what applies here is kept (an older server still sends other checkpoints').
          const entry = d.toLane(e.key, e.entry as ListEntry<L>, checkpointId);
          if (entry === null) continue;
          batch.push(entry);
          if (batch.length >= SNAPSHOT_BATCH) {
            replacement.add(batch);
            batch = [];
          }
        }
      }
      replacement.add(batch);
      const header = decoder.end();
      // Health snapshots are the same for every lane; whitelist ones are made for one checkpoint.
      if (list === 'whitelist' && header.checkpointId !== checkpointId) {
        throw new Error('whitelist snapshot made for another checkpoint');
      }
      replacement.commit(header.version, clock());
      link.succeeded();
      this.#log.info(
        { list, version: header.version, entries: header.count, ms: clock() - started },
        'snapshot applied',
      );
      link.changed();
      this.#o.onApplied?.();
      return true;
    } catch (error) {
      replacement.abort();
      destroyQuietly(res.value.stream);
      if (!link.running()) return false;
      const message = `snapshot ${list}: ${error instanceof Error ? error.message : String(error)}`;
      this.#log.warn({ list, err: message }, 'snapshot failed; list kept as it was');
      link.problem(message);
      return false;
    }
  }
}

function destroyQuietly(stream: Readable): void {
  try {
    stream.destroy();
  } catch {
    // already gone
  }
}

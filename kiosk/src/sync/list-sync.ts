import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  LIST_NAMES,
  listSignatureScope,
  parseListSignature,
  SnapshotDecoder,
  type LaneEvent,
  type ListName,
  type ListRefusalReason,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { LaneStore } from '../store/lane-store.js';
import { LIST_DESCRIPTORS, type LaneEntry, type ListEntry } from '../store/list-descriptors.js';
import type { LinkState } from './link-state.js';
import { KEY_ZERO_ONLY, type ListKeySource } from './list-keys.js';
import { changesDigest, type ListRefusals, type ListTrust } from './list-trust.js';
import type { ServerApi } from './server-api.js';
import { toLaneChanges } from './wire-changes.js';

/** Options of the list sync. */
export interface ListSyncOptions {
  readonly api: Pick<ServerApi, 'changes' | 'snapshot'>;
  /**
   * The list keys the lane holds, and how to fetch a new one (sync/list-keys.ts). Absent: only
   * the fleet-wide key 0 (a server before key scopes).
   */
  readonly keys?: ListKeySource;
  readonly store: LaneStore;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly clock: () => number;
  /** This lane's checkpoint (whitelist entries of others are not kept). */
  readonly checkpointId: () => string;
  /** A list moved to a new version (the heartbeat reports it soon). */
  readonly onApplied?: () => void;
  /** The keys list data must be signed by. */
  readonly trust: ListTrust;
  /** Counts refused list data (the heartbeat reports it). */
  readonly refusals: ListRefusals;
  /** List data was refused (the heartbeat tells the centre soon). */
  readonly onRefused?: () => void;
  /** Learns the server's keys now (a heartbeat); a signature by a key unknown before is then checked again. */
  readonly refreshKeys?: () => Promise<void>;
  /** Least time between two snapshots taken because the entry count differed from the signed one. */
  readonly recountSnapshotMs?: number;
  /**
   * The checkpoint's freshness budget (ms): an answer signed longer ago than a quarter of it
   * (within `ANSWER_WINDOW_MIN_MS`..`ANSWER_WINDOW_MAX_MS`) is refused. Absent: the window is
   * `ANSWER_WINDOW_DEFAULT_MS`.
   */
  readonly freshnessBudgetMs?: () => number;
  /** How far the lane's clock may differ from the server's (default `CLOCK_SKEW_ALLOWANCE_MS`). */
  readonly clockSkewMs?: number;
}

/** Bounds of the window in which a signed answer counts as fresh (before the skew allowance). */
export const ANSWER_WINDOW_MIN_MS = 2 * 60_000;
export const ANSWER_WINDOW_MAX_MS = 30 * 60_000;
export const ANSWER_WINDOW_DEFAULT_MS = 10 * 60_000;
/** Allowance for the lane's clock differing from the server's. */
export const CLOCK_SKEW_ALLOWANCE_MS = 2 * 60_000;

/** An urgent push as the event stream decodes it. */
export type UrgentPush = Extract<LaneEvent, { type: 'urgent' }>['data'];

const SNAPSHOT_BATCH = 20_000;

/** List data refused inside a snapshot's read (the read is abandoned, the old list kept). */
class Refused extends Error {
  constructor(readonly reason: ListRefusalReason) {
    super(reason);
  }
}

/**
 * Keeps each list current: a snapshot when the lane has none (or the server has no delta
 * from its version), else the changes since its version, applied in one transaction; urgent
 * health entries overlaid the moment they are pushed; a jittered safety-net poll. A malformed
 * delta or snapshot leaves the list as it was. Every snapshot, delta and urgent push must carry
 * a signature by a trusted key over exactly what the lane would hold (list, its scope, versions,
 * entry count, digest), checked before anything is applied; refused data leaves the list as it
 * was, is logged (never its entries) and counted for the heartbeat. After applying, the list's
 * entry count must be the signed one, else a fresh snapshot is taken.
 */
export class ListSync {
  readonly #o: ListSyncOptions;
  readonly #log: Logger;
  readonly #busy = new Map<ListName, Promise<boolean>>();
  /** Lists asked for again while a sync of them was running. */
  readonly #again = new Set<ListName>();
  /** When each list last took a snapshot because its count differed from the signed one. */
  readonly #recounted = new Map<ListName, number>();
  #refreshing: Promise<void> | null = null;
  readonly #keys: ListKeySource;

  constructor(options: ListSyncOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#keys = options.keys ?? KEY_ZERO_ONLY;
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
   * Health entries pushed ahead of their delta: once their signature verifies, written at once
   * (without moving the list's version) unless the lane already holds `toVersion`; then the
   * delta is fetched either way. Resolves when done.
   */
  async urgent(push: UrgentPush): Promise<void> {
    const { changes, fromVersion, toVersion, signature, issuedAt } = push;
    const keyId = push.keyId ?? 0;
    // Keyed otherwise than the health list held now (a key rotation under way): not applied;
    // the delta or snapshot fetched below brings the entries.
    if (keyId !== this.#o.store.listKeyId('health')) {
      this.#log.info('urgent push keyed with another list key; fetching the list instead');
      if (!this.#keys.holds(keyId)) void this.#keys.fetch();
      void this.sync('health');
      return;
    }
    const facts: SignedListFacts | null =
      fromVersion === undefined || toVersion === undefined || issuedAt === undefined
        ? null
        : {
            kind: 'urgent',
            list: 'health',
            scope: listSignatureScope('health', this.#o.checkpointId(), keyId),
            fromVersion,
            toVersion,
            count: changes.length,
            issuedAt,
            digest: changesDigest(changes),
          };
    if (
      (await this.#verified('health', 'urgent push', facts, signature)) &&
      facts !== null &&
      this.#signedTime('health', 'urgent push', facts.issuedAt) !== null
    ) {
      const lane = toLaneChanges('health', changes, this.#o.checkpointId());
      if (lane !== null && toVersion !== undefined && this.#o.store.listState('health').version < toVersion) {
        this.#o.store.overlayHealth(
          lane.flatMap((c) => (c.op === 'put' ? [c.value] : [])),
          toVersion,
        );
        this.#log.info({ changes: lane.length }, 'urgent health changes applied');
      }
    }
    void this.sync('health');
  }

  /** Learns the server's keys (coalescing calls). */
  async #refresh(): Promise<void> {
    if (this.#o.refreshKeys === undefined) return;
    this.#refreshing ??= this.#o.refreshKeys().finally(() => {
      this.#refreshing = null;
    });
    await this.#refreshing;
  }

  /**
   * Whether a signature covers exactly `facts` (null: the answer says too little to check),
   * learning the server's keys once when it names a key the lane does not know. A refusal is
   * recorded, logged and shown.
   */
  async #verified(
    list: ListName,
    what: string,
    facts: SignedListFacts | null,
    signature: string | undefined,
  ): Promise<boolean> {
    if (facts === null || signature === undefined) {
      this.#refuse(list, what, 'unsigned');
      return false;
    }
    const { trust, clock } = this.#o;
    let r = trust.verify(facts, signature, clock());
    if (!r.ok && r.error === 'unknown_key') {
      await this.#refresh();
      r = trust.verify(facts, signature, clock());
    }
    if (r.ok) return true;
    this.#refuse(list, what, r.error);
    return false;
  }

  #refuse(list: ListName, what: string, reason: ListRefusalReason): void {
    this.#o.refusals.record(list, reason, this.#o.clock());
    this.#log.warn({ list, what, reason }, 'list data refused; the old list keeps deciding');
    this.#o.link.problem(`${what} of ${list} refused (${reason}); the old list keeps deciding`);
    this.#o.onRefused?.();
  }

  /**
   * The time a signed answer counts as synced at (its `issuedAt`, never later than the lane's
   * now), or null once it is refused as signed too long ago or too far ahead of the lane's
   * clock: a genuine old answer replayed does not keep a list looking fresh.
   */
  #signedTime(list: ListName, what: string, issuedAt: number): number | null {
    const now = this.#o.clock();
    const skew = this.#o.clockSkewMs ?? CLOCK_SKEW_ALLOWANCE_MS;
    const budget = this.#o.freshnessBudgetMs?.();
    const window =
      budget === undefined
        ? ANSWER_WINDOW_DEFAULT_MS
        : Math.min(ANSWER_WINDOW_MAX_MS, Math.max(ANSWER_WINDOW_MIN_MS, budget / 4));
    if (issuedAt < now - window - skew || issuedAt > now + skew) {
      this.#refuse(list, what, 'stale_answer');
      return null;
    }
    return Math.min(issuedAt, now);
  }

  /**
   * After applying up to `version`: the list must hold the signed number of entries (unless
   * urgent entries of a later version are held already); if not, a fresh snapshot, at most one
   * per `recountSnapshotMs`.
   */
  async #checkCount(list: ListName, signed: number, version: number): Promise<boolean> {
    const { store, clock } = this.#o;
    if (store.overlayUntil(list) > version) return true;
    const held = store.countEntries(list);
    if (held === signed) return true;
    this.#o.refusals.record(list, 'count_mismatch', clock());
    this.#o.onRefused?.();
    const last = this.#recounted.get(list);
    const wait = this.#o.recountSnapshotMs ?? 10 * 60_000;
    if (last !== undefined && clock() - last < wait) {
      this.#log.warn(
        { list, held, signed },
        'entry count differs from the signed count; snapshot taken recently',
      );
      return true;
    }
    this.#recounted.set(list, clock());
    this.#log.warn(
      { list, held, signed },
      'entry count differs from the signed count; taking a fresh snapshot',
    );
    return this.#snapshot(list);
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
    const keyId = store.listKeyId(list);
    // A list keyed otherwise than the newest key (a rotation under way) is fetched whole again.
    if (state.version === 0 || keyId !== this.#keys.newestId()) return this.#snapshot(list);
    const res = await api.changes(list, state.version, keyId);
    if (!res.ok) {
      if (res.error.kind === 'http' && res.error.status === 410 && res.error.code === 'list_key_rotated') {
        this.#log.info({ list }, 'list key rotated; fetching the new key, then a snapshot');
        link.succeeded();
        return (await this.#keys.fetch()) && this.#snapshot(list);
      }
      if (res.error.kind === 'http' && (res.error.status === 410 || res.error.status === 409)) {
        this.#log.info({ list, status: res.error.status }, 'delta unavailable; taking a snapshot');
        // Only a server that says it is behind (409, restored from a backup) may send an older version.
        return this.#snapshot(list, res.error.status === 409);
      }
      link.failed(res.error, `changes ${list}`);
      return false;
    }
    link.succeeded();
    const delta = res.value;
    const facts: SignedListFacts | null =
      delta.count === undefined || delta.issuedAt === undefined
        ? null
        : {
            kind: 'changes',
            list,
            scope: listSignatureScope(list, this.#o.checkpointId(), delta.keyId ?? 0),
            fromVersion: delta.fromVersion,
            toVersion: delta.toVersion,
            count: delta.count,
            issuedAt: delta.issuedAt,
            digest: changesDigest(delta.changes),
          };
    if (!(await this.#verified(list, 'delta', facts, delta.signature)) || facts === null) return false;
    if ((delta.keyId ?? 0) !== keyId) {
      // Keys of another key cannot go into this list: the new key, then a snapshot keyed with it.
      this.#log.warn({ list }, 'delta keyed with another list key; fetching the key, then a snapshot');
      return (await this.#keys.fetch()) && this.#snapshot(list);
    }
    // Synced as of when the server signed the answer, not when the lane got it.
    const now = this.#signedTime(list, 'delta', facts.issuedAt);
    if (now === null) return false;
    if (delta.fromVersion !== state.version || delta.toVersion < delta.fromVersion) {
      this.#log.warn({ list }, 'delta does not start at our version; taking a snapshot');
      return this.#snapshot(list);
    }
    if (delta.toVersion === delta.fromVersion) {
      store.markSynced(list, now);
      link.changed();
      return this.#checkCount(list, facts.count, delta.toVersion);
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
      return this.#checkCount(list, facts.count, delta.toVersion);
    }
    this.#again.add(list);
    return false;
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- L ties the descriptor, replacement and batch to one list
  async #snapshot<L extends ListName>(list: L, serverBehind = false): Promise<boolean> {
    const { store, link, api, clock } = this.#o;
    const res = await api.snapshot(list, link.signal);
    if (!res.ok) {
      link.failed(res.error, `snapshot ${list}`);
      return false;
    }
    const { signature, count, issuedAt, keyId } = res.value;
    // Keyed with a key the lane lacks: fetched now (the answer waits); never swapped in without it.
    if (!this.#keys.holds(keyId)) await this.#keys.fetch();
    if (!this.#keys.holds(keyId)) {
      destroyQuietly(res.value.stream);
      link.problem(
        `snapshot ${list} keyed with a list key the lane could not fetch; the old list keeps deciding`,
      );
      this.#log.warn({ list }, 'snapshot keyed with a list key the lane lacks; the old list keeps deciding');
      return false;
    }
    // Refused before a byte is read: no signature, or one by a key the lane cannot learn.
    const named = signature === undefined ? null : parseListSignature(signature);
    if (named !== null && !this.#o.trust.knows(named.keyId)) await this.#refresh();
    const early: ListRefusalReason | null =
      signature === undefined || count === undefined || issuedAt === undefined
        ? 'unsigned'
        : named === null
          ? 'bad_signature'
          : this.#o.trust.knows(named.keyId)
            ? null
            : 'unknown_key';
    if (early !== null || signature === undefined || count === undefined || issuedAt === undefined) {
      destroyQuietly(res.value.stream);
      this.#refuse(list, 'snapshot', early ?? 'unsigned');
      return false;
    }
    // Too old or going back (both signed, checked with the bytes): refused before a byte is read.
    if (!serverBehind && res.value.version < store.listState(list).version) {
      destroyQuietly(res.value.stream);
      this.#refuse(list, 'snapshot', 'version_rollback');
      return false;
    }
    const syncedAt = this.#signedTime(list, 'snapshot', issuedAt);
    if (syncedAt === null) {
      destroyQuietly(res.value.stream);
      return false;
    }
    const started = clock();
    this.#log.info({ list, version: res.value.version, path: res.value.path }, 'snapshot started');
    const checkpointId = this.#o.checkpointId();
    const d = LIST_DESCRIPTORS[list];
    const replacement = store.replaceList(list);
    const decoder = new SnapshotDecoder();
    const hash = createHash('sha256');
    let batch: LaneEntry<L>[] = [];
    let unreadable: Error | null = null;
    try {
      for await (const chunk of res.value.stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        // After a decoding error the rest is only hashed: the signature says whether it was tampered with.
        if (unreadable !== null) continue;
        try {
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
        } catch (error) {
          unreadable = error instanceof Error ? error : new Error(String(error));
        }
      }
      // Checked before anything else is made of the bytes: every byte, this list, this lane's
      // scope, the version the server named, the entries the lane will hold.
      const checked = this.#o.trust.verify(
        {
          kind: 'snapshot',
          list,
          scope: listSignatureScope(list, checkpointId, keyId),
          fromVersion: 0,
          toVersion: res.value.version,
          count,
          issuedAt,
          digest: hash.digest('hex'),
        },
        signature,
        clock(),
      );
      if (!checked.ok) throw new Refused(checked.error);
      if (unreadable !== null) throw unreadable;
      replacement.add(batch);
      const header = decoder.end();
      if (header.version !== res.value.version)
        throw new Error(`snapshot is not of version ${res.value.version}`);
      // Health snapshots are the same for every lane; whitelist ones are made for one checkpoint.
      if (list === 'whitelist' && header.checkpointId !== checkpointId) {
        throw new Error('whitelist snapshot made for another checkpoint');
      }
      if (replacement.count() !== count) throw new Refused('count_mismatch');
      const keyBefore = store.listKeyId(list);
      replacement.commit(header.version, syncedAt, keyId);
      link.succeeded();
      this.#log.info(
        { list, version: header.version, entries: header.count, keyId, ms: clock() - started },
        'snapshot applied',
      );
      if (keyBefore !== keyId) this.#keys.swapped();
      link.changed();
      this.#o.onApplied?.();
      return true;
    } catch (error) {
      replacement.abort();
      destroyQuietly(res.value.stream);
      if (error instanceof Refused) {
        this.#refuse(list, 'snapshot', error.reason);
        return false;
      }
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

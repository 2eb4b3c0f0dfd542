import {
  LIST_NAMES,
  type CheckpointConfig,
  type GateReport,
  type ListName,
  type ListSigningKey,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { OfficerRoster } from '../agent/officers.js';
import type { DeviceState } from '../scanners/scanner.js';
import type { LaneStore } from '../store/lane-store.js';
import { EventStream } from './event-stream.js';
import { Heartbeat } from './heartbeat.js';
import { LinkState, type LinkStatus, type RetryOptions } from './link-state.js';
import { KEY_ZERO_ONLY, ListKeys, type KeyRing, type ListKeySource } from './list-keys.js';
import { ListSync } from './list-sync.js';
import { ConfigTrust } from './config-trust.js';
import { ListRefusals, ListTrust } from './list-trust.js';
import { PassSync } from './pass-sync.js';
import { RosterSync } from './roster-sync.js';
import type { ServerApi } from './server-api.js';
import { Uploader } from './uploader.js';

/** What the lane knows of its link to the server, for the status strip and heartbeats. */
export interface SyncStatus extends LinkStatus {
  readonly listVersions: Readonly<Record<ListName, number>>;
  readonly listsSyncedAt: Readonly<Record<ListName, number | null>>;
  readonly backlog: number;
}

/** Options of the lane's sync engine. */
export interface LaneSyncOptions {
  readonly api: ServerApi;
  readonly store: LaneStore;
  readonly logger: Logger;
  readonly checkpoint: () => CheckpointConfig;
  readonly devices: () => readonly DeviceState[];
  /** The gate report of a lane in gate mode or driving a relay (heartbeat `gate`). */
  readonly gate?: () => GateReport | undefined;
  readonly clock?: () => number;
  readonly onStatus?: (status: SyncStatus) => void;
  readonly onCheckpoint?: (checkpoint: CheckpointConfig) => void;
  /** The officer roster version the lane holds (0: none from the server yet). */
  readonly officersVersion?: () => number;
  /** Takes in a new officer roster from the server (never one of version 0). */
  readonly onOfficers?: (roster: OfficerRoster) => void;
  /** Safety-net poll of both lists and the pass directory (jittered ±20%). */
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  /** Idle wait between outbox checks when nothing wakes the uploader. */
  readonly uploadIdleMs?: number;
  readonly uploadBatch?: number;
  readonly retry?: RetryOptions;
  /**
   * The list-signing keys pinned at enrollment (the enrollment answer's). Absent for a lane
   * enrolled before lists were signed: it trusts the keys of its first heartbeat answer.
   */
  readonly listSigningKeys?: readonly ListSigningKey[] | undefined;
  /**
   * The list keys the lane holds (secrets/list-key-ring.ts, in the sealed vault): a rotation
   * the server announces is fetched into it. Absent: only the fleet-wide key 0.
   */
  readonly keyRing?: KeyRing;
}

/**
 * Keeps a lane's lists current and its outbox empty, from six parts over one `LinkState`:
 * `ListSync` (snapshot bootstrap, then deltas; a jittered poll), `EventStream` (SSE pushes;
 * urgent F0/F1 changes applied the moment they arrive), `Uploader` (batched, idempotent
 * uploads that delete nothing before the server acknowledges it), `Heartbeat`, `RosterSync`
 * and `PassSync` (the signed pass directory lane passes are checked against). Every failure is a value that leads to a retry with capped, jittered
 * back-off; none stops the lane. This class only wires the parts and starts and stops them.
 */
export class LaneSync {
  readonly #o: LaneSyncOptions;
  readonly #link: LinkState;
  readonly #lists: ListSync;
  readonly #roster: RosterSync;
  readonly #heartbeat: Heartbeat;
  readonly #uploader: Uploader;
  readonly #events: EventStream;
  readonly #keys: ListKeys | null;
  readonly #passes: PassSync;
  /** The list-signing keys the lane pins (also what a staff card is checked with). */
  readonly trust: Pick<ListTrust, 'verifyDetached'>;

  constructor(options: LaneSyncOptions) {
    this.#o = options;
    const logger = options.logger.child({ module: 'lane-sync' });
    const clock = options.clock ?? Date.now;
    const { api, store } = options;
    const checkpointId = (): string => options.checkpoint().id;
    const link = new LinkState({
      logger,
      ...(options.retry ? { retry: options.retry } : {}),
      onChange: () => options.onStatus?.(this.status()),
    });
    this.#link = link;
    const trust = new ListTrust({
      settings: store,
      kioskId: store.getSetting('kiosk_id') ?? '',
      enrolled: options.listSigningKeys,
      logger,
    });
    this.trust = trust;
    const refusals = new ListRefusals();
    const learnKeys = (keys: readonly ListSigningKey[]): void => {
      const adopted = trust.adopt(keys);
      if (adopted.refused > 0) {
        refusals.record(null, 'bad_key_statement', clock());
        heartbeat.soon();
      }
      // Data refused for a key the lane had not learned yet is fetched again.
      if (adopted.added.length > 0) {
        for (const list of LIST_NAMES) void this.#lists.sync(list);
        void this.#passes.sync();
      }
    };
    const configTrust = new ConfigTrust({
      trust,
      refusals,
      logger,
      clock,
      checkpointId,
      vehicleMode: () => options.checkpoint().vehicleMode === true,
      onRefused: () => {
        heartbeat.soon();
      },
    });
    this.#roster = new RosterSync({
      api,
      link,
      logger,
      verify: (roster, signature) => configTrust.roster(roster, signature),
      ...(options.officersVersion ? { version: options.officersVersion } : {}),
      ...(options.onOfficers ? { onRoster: options.onOfficers } : {}),
    });
    const heartbeat = new Heartbeat({
      api,
      store,
      link,
      logger,
      clock,
      devices: options.devices,
      ...(options.gate ? { gate: options.gate } : {}),
      checkpointId,
      ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
      verifyCheckpoint: (config, signatures) => configTrust.checkpoint(config, signatures),
      onOfficersVersion: (version) => {
        this.#roster.versionSeen(version);
      },
      listRefusals: () => refusals.report(),
      onSigningKeys: learnKeys,
      onListKeyId: (keyId) => {
        this.#keys?.seen(keyId);
      },
    });
    this.#heartbeat = heartbeat;
    const ring = options.keyRing;
    this.#keys =
      ring === undefined
        ? null
        : new ListKeys({
            api,
            ring,
            keyIdOf: (list) => store.listKeyId(list),
            sync: (list) => this.#lists.sync(list),
            link,
            logger,
          });
    const keys: ListKeySource = this.#keys ?? KEY_ZERO_ONLY;
    this.#lists = new ListSync({
      api,
      keys,
      store,
      link,
      logger,
      clock,
      checkpointId,
      onApplied: () => {
        heartbeat.soon();
      },
      trust,
      refusals,
      onRefused: () => {
        heartbeat.soon();
      },
      refreshKeys: () => heartbeat.beat(),
      freshnessBudgetMs: () => options.checkpoint().freshnessBudgetSec * 1000,
    });
    this.#passes = new PassSync({
      api,
      store,
      trust,
      link,
      logger,
      clock,
      refreshKeys: () => heartbeat.beat(),
    });
    this.#uploader = new Uploader({
      api,
      store,
      link,
      logger,
      clock,
      ...(options.uploadBatch === undefined ? {} : { batch: options.uploadBatch }),
      ...(options.uploadIdleMs === undefined ? {} : { idleMs: options.uploadIdleMs }),
    });
    this.#events = new EventStream({
      api,
      link,
      logger,
      targets: {
        connected: () => {
          heartbeat.soon();
          // A revocation pushed while the stream was down reached nobody.
          void this.#passes.sync();
        },
        listVersion: (list, version) => {
          this.#lists.versionSeen(list, version);
        },
        urgent: (push) => {
          void this.#lists.urgent(push);
        },
        signingKeys: learnKeys,
        listKey: (keyId) => {
          this.#keys?.seen(keyId);
        },
        checkpoint: (config, signatures) => {
          heartbeat.checkpointPushed(config, signatures);
        },
        officers: (version) => {
          this.#roster.versionSeen(version);
        },
        passes: (version) => {
          this.#passes.versionSeen(version);
        },
      },
    });
  }

  /** The current sync status. */
  status(): SyncStatus {
    const store = this.#o.store;
    const states = LIST_NAMES.map((list) => [list, store.listState(list)] as const);
    return {
      ...this.#link.status(),
      listVersions: Object.fromEntries(states.map(([l, s]) => [l, s.version])) as Record<ListName, number>,
      listsSyncedAt: Object.fromEntries(states.map(([l, s]) => [l, s.syncedAt])) as Record<
        ListName,
        number | null
      >,
      backlog: store.backlog().count,
    };
  }

  /** Starts every part: lists, roster, event stream, poll, heartbeat and uploader. */
  start(): void {
    if (this.#link.running()) return;
    this.#link.start();
    for (const list of LIST_NAMES) void this.#lists.sync(list);
    void this.#passes.sync();
    void this.#roster.sync();
    this.#events.start();
    this.#lists.poll(this.#o.pollMs ?? 60_000);
    this.#passes.poll(this.#o.pollMs ?? 60_000);
    this.#heartbeat.start(this.#o.heartbeatMs ?? 30_000);
    this.#uploader.start();
  }

  /** Stops every part and waits for the uploader and any running list or roster sync. */
  async stop(): Promise<void> {
    this.#link.stop();
    await this.#uploader.stop();
    await Promise.allSettled([
      this.#lists.settled(),
      this.#roster.settled(),
      this.#passes.settled(),
      this.#keys?.settled(),
    ]);
  }

  /** Brings the pass directory up to date; resolves true when the lane holds the server's. */
  syncPasses(): Promise<boolean> {
    return this.#passes.sync();
  }

  /** Fetches the officer roster now (see `RosterSync.sync`). */
  syncOfficers(): Promise<boolean> {
    return this.#roster.sync();
  }

  /** Wakes the uploader for a new record (see `Uploader.request`). */
  requestUpload(urgent = true): void {
    this.#uploader.request(urgent);
  }

  /** Brings one list up to date; resolves true on success. Concurrent calls coalesce. */
  syncList(list: ListName): Promise<boolean> {
    return this.#lists.sync(list);
  }

  /** Sends a heartbeat within a second (coalescing calls). */
  heartbeatSoon(): void {
    this.#heartbeat.soon();
  }

  /** Sends a heartbeat now; adopts the checkpoint config the server answers with. */
  heartbeat(): Promise<void> {
    return this.#heartbeat.beat();
  }
}

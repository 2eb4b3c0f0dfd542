import {
  URGENT_MAX_CHANGES,
  listSignatureScope,
  type AlertRecord,
  type AdminEventData,
  type AdminEventName,
  type CheckpointConfig,
  type CheckpointSignatures,
  type HealthEntry,
  type HealthStatus,
  type LaneEvent,
  type ListName,
  type ListSigningKey,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import type { ListKey } from '../lists/list-keys.js';
import { changesDigest } from '../lists/list-signing.js';
import { laneSubjectKeyHex } from '../lists/rekey.js';
import {
  LocalBus,
  isFleetLaneEvent,
  laneMessage,
  type FleetBus,
  type FleetBusEvent,
  type FleetMessage,
} from './fleet-bus.js';
import { sendLaneEvent, type SseStream } from './sse.js';

/** A lane's SSE subscription: only `LaneEvent`s (the kiosk API contract) go down its stream. */
interface LaneSubscriber {
  readonly laneId: string;
  readonly checkpointId: string;
  readonly stream: SseStream;
  /** The current list key of the lane's key scope; none: the lane gets no urgent push. */
  readonly listKey?: () => Promise<ListKey>;
}

/**
 * A small health change pushed inline to lanes whose checkpoint it blocks at. Made by
 * `urgentHealthChange`: the hub keys it for each key scope from `subject`.
 */
export interface UrgentHealthChange {
  /** The subject's index key (hex): the server's own, never sent to a lane. */
  readonly key: string;
  readonly op: 'put';
  readonly entry: HealthEntry;
  /**
   * The canonical subject (server only). Not enumerable: a spread or JSON text of the change
   * never holds it.
   */
  readonly subject: string;
}

/** An urgent change of one health entry: its index key (hex), canonical subject and entry. */
export function urgentHealthChange(key: string, subject: string, entry: HealthEntry): UrgentHealthChange {
  const change = { key, op: 'put' as const, entry };
  Object.defineProperty(change, 'subject', { value: subject, enumerable: false });
  return change as UrgentHealthChange;
}

/** An urgent change as a lane gets it: keyed with the lane's list key. */
interface WireUrgentChange {
  readonly key: string;
  readonly op: 'put';
  readonly entry: HealthEntry;
}

/**
 * Event streams one lane may hold open; a new one beyond it closes the lane's oldest. Two, so a
 * reconnect can overlap a stream the network has not yet noticed is dead.
 */
export const STREAMS_PER_LANE = 2;
/**
 * Event streams one admin credential (a console session, or the admin token) may hold open; a
 * new one closes the oldest. Six: the connections a browser opens to one server.
 */
export const STREAMS_PER_ADMIN = 6;

/** The current versions a server re-announces to its streams after its fleet bus was cut off. */
export interface CurrentVersions {
  readonly lists: readonly { readonly list: ListName; readonly version: number }[];
  readonly officers: number;
}

/**
 * How a hub shares events with the other servers of a fleet. Without a bus the hub has its own
 * {@link LocalBus} (one server: nothing to tell). Readers fetch from the database what another
 * server's message names; a reader that is missing means that part is not delivered from other
 * servers (see each).
 */
export interface EventHubFleetOptions {
  readonly bus?: FleetBus;
  /**
   * The urgent health changes between two versions of a list another server wrote (what that
   * server pushed inline), or null when there are none to push. Missing: lanes get the version
   * alone and fetch the changes.
   */
  readonly readUrgent?: (
    list: ListName,
    fromVersion: number,
    version: number,
  ) => Promise<readonly UrgentHealthChange[] | null>;
  /** An alert by id (another server raised or acknowledged it). Missing: alerts stay on their server. */
  readonly readAlert?: (id: number) => Promise<AlertRecord | null>;
  /**
   * The lists' and the roster's current versions, sent to every stream after the bus reconnects
   * (events sent meanwhile were lost). Missing: nothing is re-sent.
   */
  readonly readCurrent?: () => Promise<CurrentVersions>;
  /**
   * Whether a lane is revoked in the database. Another server's `revoked` event or close for a
   * lane is acted on only when this says so; after the bus reconnects, the lanes streaming here
   * that it says are revoked are told and closed. Missing: other servers' revocations are not
   * acted on.
   */
  readonly readLaneRevoked?: (laneId: string) => Promise<boolean>;
  /**
   * A checkpoint's config as the database holds it, and its CLCFG1 and CLCFG2 signatures made
   * here (another server changed it). Missing (or null): the change is not delivered.
   */
  readonly readCheckpoint?: (
    checkpointId: string,
  ) => Promise<({ readonly config: CheckpointConfig } & CheckpointSignatures) | null>;
  /**
   * The list-signing keys re-read from the database (another server rotated them, or the bus
   * reconnected). Missing: rotations elsewhere are not delivered.
   */
  readonly readSigningKeys?: () => Promise<readonly ListSigningKey[]>;
  /**
   * The version a list (or the officer roster) is at in the database: a `list-version` or
   * `officers` message above it is ignored. Missing: versions are taken as sent.
   */
  readonly readVersion?: (what: ListName | 'officers') => Promise<number>;
  /**
   * A server silent this long (no message at all) has its lanes dropped at the next `beat()`
   * (default 30,000 ms).
   */
  readonly serverSilentMs?: number;
  /** Other servers tracked at most; messages from more are dropped (default 256). */
  readonly maxServers?: number;
  /** Lanes tracked per other server at most; presence beyond it is dropped (default 50,000). */
  readonly maxLanesPerServer?: number;
  /**
   * Shortest time between two announcements of this server's lanes in answer to presence
   * requests, ms (default 5,000); requests meanwhile get one announcement when it is over.
   */
  readonly announceMinMs?: number;
  /** Told of a failed publish or read (no personal data in `what`). */
  readonly onError?: (what: string, err: unknown) => void;
}

/** A lane's connection changed on another server: it is now connected somewhere, or nowhere. */
export type PresenceListener = (laneId: string, connected: boolean) => void;

/**
 * Fans events out to open SSE streams: admins get alerts and fleet changes; lanes get list
 * versions and urgent health changes that block at their own checkpoint. Every event to a lane
 * is a `LaneEvent` of the kiosk API contract: a wrong name or body does not compile.
 *
 * Across servers (fleet mode): each publish method delivers to this server's streams what it has
 * in hand, then sends a small message on the fleet bus; another server's hub reads what the
 * message names (through the readers in {@link EventHubFleetOptions}) and delivers it to its own
 * streams the same way. Lanes' stream presence travels too, so `connectedLanes()` is fleet-wide.
 */
export class EventHub {
  private readonly admins = new Set<SseStream>();
  /** Who opened each admin stream (session hash or `token`), for the per-credential cap. */
  private readonly adminOwners = new Map<SseStream, string>();
  private readonly lanes = new Set<LaneSubscriber>();
  /** This server's lane streams by lane id, oldest first. */
  private readonly byLane = new Map<string, Set<LaneSubscriber>>();
  /** The fleet bus (a private LocalBus when none is given). */
  readonly bus: FleetBus;
  /** Lanes with a stream open on other servers: lane id → server ids. */
  private readonly remote = new Map<string, Set<string>>();
  /** The same, by server: server id → lane ids (bounded by `maxLanesPerServer`). */
  private readonly remoteByServer = new Map<string, Set<string>>();
  /** Fleet messages dropped: from servers over `maxServers`, presence over `maxLanesPerServer`, versions ahead of the database. */
  private dropped = 0;
  private lastAnnounceAt = Number.NEGATIVE_INFINITY;
  private announceTimer: NodeJS.Timeout | null = null;
  /** When each other server was last heard from (any message). */
  private readonly heard = new Map<string, number>();
  private readonly presenceListeners = new Set<PresenceListener>();
  /** Messages from other servers are handled one after another, in arrival order. */
  private inbox: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;
  private readonly serverSilentMs: number;

  /**
   * `signList` signs what an urgent push carries (lanes refuse an unsigned one); without it
   * pushes go unsigned (tests of the hub alone). `fleet`: the bus and readers of fleet mode.
   */
  constructor(
    private readonly blockingStatuses: (checkpointId: string) => Promise<readonly HealthStatus[]>,
    private readonly signList?: (facts: SignedListFacts) => string,
    private readonly clock: () => number = Date.now,
    private readonly fleet: EventHubFleetOptions = {},
  ) {
    this.bus = fleet.bus ?? new LocalBus();
    this.serverSilentMs = fleet.serverSilentMs ?? 30_000;
    this.unsubscribe = this.bus.subscribe((event) => {
      this.inbox = this.inbox
        .then(() => this.receive(event))
        .catch((err: unknown) => {
          this.fleet.onError?.(`fleet message ${event.type}`, err);
        });
    });
  }

  /**
   * Subscribes an admin stream; returns the unsubscribe function. With an `owner`, the owner's
   * streams beyond `STREAMS_PER_ADMIN` are closed, oldest first.
   */
  addAdmin(stream: SseStream, owner?: string): () => void {
    this.admins.add(stream);
    if (owner !== undefined) {
      this.adminOwners.set(stream, owner);
      const mine = [...this.admins].filter((s) => this.adminOwners.get(s) === owner);
      for (const old of mine.slice(0, Math.max(0, mine.length - STREAMS_PER_ADMIN))) {
        this.admins.delete(old);
        this.adminOwners.delete(old);
        old.close();
      }
    }
    return () => {
      this.admins.delete(stream);
      this.adminOwners.delete(stream);
    };
  }

  /**
   * Subscribes a lane stream; returns the unsubscribe function. The lane's streams beyond
   * `STREAMS_PER_LANE` are closed, oldest first: a new one replaces the oldest. `listKey` answers
   * the current list key of the lane's key scope, which its urgent pushes are keyed with; a
   * stream without it gets no urgent push.
   */
  addLane(
    laneId: string,
    checkpointId: string,
    stream: SseStream,
    listKey?: () => Promise<ListKey>,
  ): () => void {
    const sub: LaneSubscriber = { laneId, checkpointId, stream, ...(listKey && { listKey }) };
    this.lanes.add(sub);
    let mine = this.byLane.get(laneId);
    if (!mine) {
      mine = new Set();
      this.byLane.set(laneId, mine);
      this.relay({ type: 'lane-presence', laneId, checkpointId, open: true });
    }
    mine.add(sub);
    // A Set iterates in insertion order: the lane's oldest streams come first.
    for (const old of [...mine].slice(0, Math.max(0, mine.size - STREAMS_PER_LANE))) {
      this.dropLane(old);
      old.stream.close();
    }
    return () => {
      this.dropLane(sub);
    };
  }

  /** Forgets one lane stream; the lane's last stream here going tells the other servers. */
  private dropLane(sub: LaneSubscriber): void {
    if (!this.lanes.delete(sub)) return;
    const mine = this.byLane.get(sub.laneId);
    mine?.delete(sub);
    if (mine?.size === 0) {
      this.byLane.delete(sub.laneId);
      this.relay({
        type: 'lane-presence',
        laneId: sub.laneId,
        checkpointId: sub.checkpointId,
        open: false,
      });
    }
  }

  /** Ids of the lanes with an open stream, on this server or (fleet mode) another one. */
  connectedLanes(): Set<string> {
    const ids = new Set(this.byLane.keys());
    for (const id of this.remote.keys()) if (this.isConnected(id)) ids.add(id);
    return ids;
  }

  /**
   * Whether a lane has a stream open on this server or on another one (until that server is
   * dropped as silent by {@link EventHub.beat}).
   */
  isConnected(laneId: string): boolean {
    return this.byLane.has(laneId) || this.remote.has(laneId);
  }

  /** Calls `listener` when a lane's connection changes through another server's message; returns the remover. */
  onPresence(listener: PresenceListener): () => void {
    this.presenceListeners.add(listener);
    return () => {
      this.presenceListeners.delete(listener);
    };
  }

  /** Number of open streams (admins, lanes); `kiosks` is the admin stream's JSON field name. */
  counts(): { admins: number; kiosks: number } {
    return { admins: this.admins.size, kiosks: this.lanes.size };
  }

  /**
   * Sends an event to every admin stream (the admin contract's events only). Alerts and their
   * acknowledgements reach other servers' consoles by id (an alert holds personal data: each
   * server reads it); `kiosk-status` stays here (every server's FleetMonitor makes its own).
   */
  publishAdmin<K extends AdminEventName>(event: K, data: AdminEventData<K>): void {
    this.deliverAdmin(event, data);
    if (event === 'alert' || event === 'alert-ack') {
      this.relay({ type: 'admin', event, id: (data as AdminEventData<'alert-ack'>).id });
    }
    if (event === 'gate') {
      const { at, ...rest } = data as AdminEventData<'gate'>;
      this.relay({ type: 'gate', ...rest, heardAt: at });
    }
  }

  /** Sends an event to this server's admin streams. */
  private deliverAdmin<K extends AdminEventName>(event: K, data: AdminEventData<K>): void {
    for (const s of this.admins) s.send(event, data);
  }

  /**
   * Tells every lane (and every admin stream) a list is at a new version. For a small health
   * write, lanes first get the changes that block at their checkpoint inline (`urgent`), keyed
   * with their key scope's current list key and signed for it, then the version. Other servers
   * get `list-version` and read the urgent changes themselves (`readUrgent`).
   */
  async publishListVersion(
    list: ListName,
    version: number,
    fromVersion: number,
    urgent: readonly UrgentHealthChange[] = [],
  ): Promise<void> {
    this.relay({ type: 'list-version', list, version, fromVersion });
    await this.deliverListVersion(list, version, fromVersion, urgent);
  }

  /** Delivers a list version (and its urgent changes) to this server's streams. */
  private async deliverListVersion(
    list: ListName,
    version: number,
    fromVersion: number,
    urgent: readonly UrgentHealthChange[],
  ): Promise<void> {
    const pushes = list === 'health' && urgent.length > 0 && urgent.length <= URGENT_MAX_CHANGES;
    // Per checkpoint: its list key and blocking statuses (lanes of one checkpoint share them),
    // read before anything is sent.
    const checkpoints = new Map<string, { key: ListKey; blocking: readonly HealthStatus[] } | null>();
    if (pushes) {
      for (const sub of [...this.lanes]) {
        if (checkpoints.has(sub.checkpointId)) continue;
        checkpoints.set(
          sub.checkpointId,
          sub.listKey
            ? { key: await sub.listKey(), blocking: await this.blockingStatuses(sub.checkpointId) }
            : null,
        );
      }
    }
    const issuedAt = this.clock();
    // Per list key: the changes keyed with it, in `urgent` order.
    const keyed = new Map<number, WireUrgentChange[]>();
    // Per list key and distinct set of blocking statuses: the push (checkpoints share a few such sets).
    const pushed = new Map<string, LaneEvent | null>();
    const pushFor = (sub: LaneSubscriber): LaneEvent | null => {
      // A lane whose stream opened while the keys were read waits for its next poll.
      const cp = checkpoints.get(sub.checkpointId) ?? null;
      if (cp === null) return null;
      const { key, blocking } = cp;
      const id = `${key.id}|${[...blocking].sort().join(',')}`;
      let push = pushed.get(id);
      if (push !== undefined) return push;
      let all = keyed.get(key.id);
      if (!all) {
        all = urgent.map((c) => ({ key: laneSubjectKeyHex(key.key, c.subject), op: c.op, entry: c.entry }));
        keyed.set(key.id, all);
      }
      const mine = all.filter((c) => blocking.includes(c.entry.status));
      push = null;
      if (mine.length > 0) {
        const signature = this.signList?.({
          kind: 'urgent',
          list: 'health',
          scope: listSignatureScope('health', sub.checkpointId, key.id),
          fromVersion,
          toVersion: version,
          count: mine.length,
          issuedAt,
          digest: changesDigest(mine),
        });
        push = {
          type: 'urgent',
          data: {
            list: 'health',
            fromVersion,
            toVersion: version,
            changes: mine,
            keyId: key.id,
            ...(signature !== undefined && { signature, issuedAt }),
          },
        };
      }
      pushed.set(id, push);
      return push;
    };
    for (const sub of this.lanes) {
      if (pushes) {
        const push = pushFor(sub);
        if (push) sendLaneEvent(sub.stream, push);
      }
      sendLaneEvent(sub.stream, { type: 'list-version', data: { list, version } });
    }
    this.deliverAdmin('list-version', { list, version });
  }

  /** Tells every lane and admin stream the officer roster is at a new version (lanes then fetch theirs). */
  publishOfficers(version: number): void {
    this.deliverOfficers(version);
    this.relay({ type: 'officers', version });
  }

  private deliverOfficers(version: number): void {
    for (const sub of this.lanes) sendLaneEvent(sub.stream, { type: 'officers', data: { version } });
    this.deliverAdmin('officers', { version });
  }

  /**
   * Tells every lane the list-signing keys changed (a rotation): the whole set, each new key
   * endorsed. Other servers are told only that they changed (they re-read them).
   */
  publishSigningKeys(keys: readonly ListSigningKey[]): void {
    this.deliverAll({ type: 'signing-keys', data: { keys: [...keys] } });
    this.relay({ type: 'signing-keys' });
  }

  /**
   * Tells every lane the pass directory is at a new version (a pass key rotated, a pass revoked):
   * lanes then fetch `GET /api/v1/kiosk/passes`. Other servers get the version and tell theirs.
   */
  publishPasses(version: number): void {
    this.deliverPasses(version);
    this.relay({ type: 'passes', version });
  }

  private deliverPasses(version: number): void {
    this.deliverAll({ type: 'passes', data: { version } });
  }

  /** Sends one event to every lane stream here. */
  private deliverAll(event: LaneEvent): void {
    for (const sub of this.lanes) sendLaneEvent(sub.stream, event);
  }

  /**
   * Sends a checkpoint's new config to the lanes at that checkpoint, with its signatures when
   * given: `checkpointSignature` (CLCFG1; lanes that trust list-signing keys refuse a config
   * without it) and `checkpointSignatureV2` (CLCFG2, covering vehicle mode too). Other servers
   * get the checkpoint id and read the config themselves (`readCheckpoint`).
   */
  publishCheckpoint(
    checkpointId: string,
    config: CheckpointConfig,
    signatures: CheckpointSignatures = {},
  ): void {
    this.deliverCheckpoint(checkpointId, config, signatures);
    this.relay({ type: 'checkpoint', checkpointId });
  }

  private deliverCheckpoint(
    checkpointId: string,
    config: CheckpointConfig,
    { checkpointSignature, checkpointSignatureV2 }: CheckpointSignatures,
  ): void {
    const event: LaneEvent = {
      type: 'checkpoint',
      data: {
        ...config,
        blockingStatuses: [...config.blockingStatuses],
        ...(checkpointSignature !== undefined && { checkpointSignature }),
        ...(checkpointSignatureV2 !== undefined && { checkpointSignatureV2 }),
      },
    };
    for (const sub of this.lanes) if (sub.checkpointId === checkpointId) sendLaneEvent(sub.stream, event);
  }

  /** Whether a lane stream here is at a checkpoint. */
  private hasCheckpoint(checkpointId: string): boolean {
    for (const sub of this.lanes) if (sub.checkpointId === checkpointId) return true;
    return false;
  }

  /**
   * Sends an event to one lane's open streams here and, for `revoked` and `list-key`, on other
   * servers (a `revoked` is delivered there once their database says the lane is revoked).
   */
  publishLane(laneId: string, event: LaneEvent): void {
    this.deliverLane(laneId, event);
    if (isFleetLaneEvent(event)) this.relay(laneMessage(laneId, event));
  }

  private deliverLane(laneId: string, event: LaneEvent): void {
    for (const sub of [...(this.byLane.get(laneId) ?? [])]) sendLaneEvent(sub.stream, event);
  }

  /** Closes one lane's streams, on every server (others close them once their database says revoked). */
  closeLane(laneId: string): void {
    this.closeLocalLane(laneId);
    this.relay({ type: 'lane-close', laneId });
  }

  private closeLocalLane(laneId: string): void {
    for (const sub of [...(this.byLane.get(laneId) ?? [])]) sub.stream.close();
  }

  /** Ends every stream (server shutdown), so in-flight requests can finish. */
  closeAll(): void {
    for (const s of [...this.admins]) s.close();
    for (const sub of [...this.lanes]) sub.stream.close();
    // Lanes whose streams did not answer their close (no route behind them) are announced gone here.
    for (const sub of [...this.lanes]) this.dropLane(sub);
    this.admins.clear();
    this.adminOwners.clear();
    this.lanes.clear();
    this.byLane.clear();
  }

  /** Stops listening to the fleet bus (the bus itself is closed by its owner). */
  detach(): void {
    this.unsubscribe();
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
  }

  /** Fleet messages dropped so far (see `maxServers`, `maxLanesPerServer`, `readVersion`). */
  fleetDropped(): number {
    return this.dropped;
  }

  /**
   * Sends `server-alive` and drops the presence of servers silent for `serverSilentMs` (their
   * lanes then count as stream-closed). Called periodically by the FleetMonitor's sweep.
   */
  beat(): void {
    this.relay({ type: 'server-alive' });
    const t = this.clock();
    for (const [server, at] of [...this.heard]) {
      if (t - at >= this.serverSilentMs) this.forgetServer(server);
    }
  }

  /** Asks every other server (or one) to announce its connected lanes. */
  requestPresence(server?: string): void {
    this.relay({ type: 'presence-request', ...(server !== undefined && { server }) });
  }

  /** Resolves once every message received so far from other servers has been handled (tests). */
  settled(): Promise<void> {
    return this.inbox;
  }

  /** Sends a message to the other servers; a failure is reported, never thrown at the caller. */
  private relay(message: FleetMessage): void {
    let sent: Promise<void>;
    try {
      sent = this.bus.publish(message);
    } catch (err) {
      this.fleet.onError?.(`fleet publish ${message.type}`, err);
      return;
    }
    sent.catch((err: unknown) => {
      this.fleet.onError?.(`fleet publish ${message.type}`, err);
    });
  }

  /** Announces each lane with a stream here. */
  private announceLanes(): void {
    for (const [laneId, subs] of this.byLane) {
      const first = subs.values().next().value;
      if (!first) continue;
      this.relay({ type: 'lane-presence', laneId, checkpointId: first.checkpointId, open: true });
    }
  }

  /**
   * Announces this server's lanes in answer to a presence request: at once, or (within
   * `announceMinMs` of the last) once when that time is over, however many requests came.
   */
  private answerPresenceRequest(): void {
    if (this.announceTimer) return;
    const wait = this.lastAnnounceAt + (this.fleet.announceMinMs ?? 5_000) - this.clock();
    if (wait <= 0) {
      this.lastAnnounceAt = this.clock();
      this.announceLanes();
      return;
    }
    this.announceTimer = setTimeout(() => {
      this.announceTimer = null;
      this.lastAnnounceAt = this.clock();
      this.announceLanes();
    }, wait);
    this.announceTimer.unref();
  }

  /** Drops everything a server said about its lanes. */
  private forgetServer(server: string): void {
    for (const laneId of [...(this.remoteByServer.get(server) ?? [])]) this.setRemote(laneId, server, false);
    this.remoteByServer.delete(server);
    this.heard.delete(server);
  }

  /**
   * Records a lane's stream on another server opened or closed; tells listeners of a change. An
   * open beyond `maxLanesPerServer` for that server is dropped.
   */
  private setRemote(laneId: string, server: string, open: boolean): void {
    const was = this.isConnected(laneId);
    let servers = this.remote.get(laneId);
    let lanes = this.remoteByServer.get(server);
    if (open) {
      if (!lanes?.has(laneId) && (lanes?.size ?? 0) >= (this.fleet.maxLanesPerServer ?? 50_000)) {
        this.dropped += 1;
        return;
      }
      if (!lanes) {
        lanes = new Set();
        this.remoteByServer.set(server, lanes);
      }
      lanes.add(laneId);
      if (!servers) {
        servers = new Set();
        this.remote.set(laneId, servers);
      }
      servers.add(server);
    } else {
      lanes?.delete(laneId);
      if (lanes?.size === 0) this.remoteByServer.delete(server);
      if (servers) {
        servers.delete(server);
        if (servers.size === 0) this.remote.delete(laneId);
      }
    }
    const now = this.isConnected(laneId);
    if (now !== was) for (const listener of [...this.presenceListeners]) listener(laneId, now);
  }

  /** Handles one event from the fleet bus. */
  private async receive(event: FleetBusEvent): Promise<void> {
    if (event.type === 'resync') {
      await this.resync();
      return;
    }
    const known = this.heard.has(event.origin);
    if (!known && this.heard.size >= (this.fleet.maxServers ?? 256)) {
      this.dropped += 1;
      return;
    }
    this.heard.set(event.origin, this.clock());
    // A server heard again after it was dropped as silent: ask it for its lanes.
    if (!known && event.type !== 'presence-request' && event.type !== 'lane-presence') {
      this.requestPresence(event.origin);
    }
    switch (event.type) {
      case 'list-version': {
        if (!(await this.atMost(event.list, event.version))) return;
        let urgent: readonly UrgentHealthChange[] = [];
        if (this.fleet.readUrgent && event.list === 'health') {
          try {
            urgent = (await this.fleet.readUrgent(event.list, event.fromVersion, event.version)) ?? [];
          } catch (err) {
            // The version still goes out: lanes fetch the changes themselves.
            this.fleet.onError?.('read urgent changes', err);
          }
        }
        await this.deliverListVersion(event.list, event.version, event.fromVersion, urgent);
        return;
      }
      case 'admin': {
        const alert = await this.fleet.readAlert?.(event.id);
        if (!alert) return;
        if (event.event === 'alert') this.deliverAdmin('alert', alert);
        else this.deliverAdmin('alert-ack', { id: alert.id, ackedAt: alert.ackedAt, ackedBy: alert.ackedBy });
        return;
      }
      case 'officers':
        if (await this.atMost('officers', event.version)) this.deliverOfficers(event.version);
        return;
      case 'checkpoint': {
        if (!this.fleet.readCheckpoint || !this.hasCheckpoint(event.checkpointId)) return;
        const read = await this.fleet.readCheckpoint(event.checkpointId);
        if (read) this.deliverCheckpoint(event.checkpointId, read.config, read);
        return;
      }
      case 'signing-keys':
        await this.deliverSigningKeys();
        return;
      case 'passes':
        this.deliverPasses(event.version);
        return;
      case 'lane':
        if (event.event.type === 'revoked' && !(await this.revokedHere(event.laneId))) return;
        this.deliverLane(event.laneId, event.event);
        return;
      case 'lane-close':
        if (await this.revokedHere(event.laneId)) this.closeLocalLane(event.laneId);
        return;
      case 'lane-presence':
        this.setRemote(event.laneId, event.origin, event.open);
        return;
      case 'presence-request':
        if (event.server === undefined || event.server === this.bus.serverId) this.answerPresenceRequest();
        return;
      case 'gate':
        this.deliverAdmin('gate', {
          kioskId: event.kioskId,
          checkpointId: event.checkpointId,
          at: event.heardAt,
          gate: event.gate,
        });
        return;
      case 'server-alive':
        return;
    }
  }

  /** Whether `version` is not above what the database holds (true without `readVersion`); counts a drop. */
  private async atMost(what: ListName | 'officers', version: number): Promise<boolean> {
    if (!this.fleet.readVersion) return true;
    if (version <= (await this.fleet.readVersion(what))) return true;
    this.dropped += 1;
    return false;
  }

  /** Whether a lane has a stream here and the database says it is revoked (false without `readLaneRevoked`). */
  private async revokedHere(laneId: string): Promise<boolean> {
    if (!this.byLane.has(laneId) || !this.fleet.readLaneRevoked) return false;
    return this.fleet.readLaneRevoked(laneId);
  }

  /** Re-reads the signing keys and sends them to every lane here (nothing without `readSigningKeys`). */
  private async deliverSigningKeys(): Promise<void> {
    if (!this.fleet.readSigningKeys) return;
    const keys = await this.fleet.readSigningKeys();
    this.deliverAll({ type: 'signing-keys', data: { keys: [...keys] } });
  }

  /** Tells and closes the lanes streaming here that the database says are revoked. */
  private async closeRevokedLanes(): Promise<void> {
    const read = this.fleet.readLaneRevoked;
    if (!read) return;
    const ids = [...this.byLane.keys()];
    // A few reads at a time: a server may hold thousands of lanes.
    for (let i = 0; i < ids.length; i += 16) {
      const part = ids.slice(i, i + 16);
      const revoked = await Promise.all(part.map((id) => read(id)));
      part.forEach((laneId, j) => {
        if (!revoked[j]) return;
        this.deliverLane(laneId, { type: 'revoked', data: { kioskId: laneId } });
        this.closeLocalLane(laneId);
      });
    }
  }

  /**
   * The bus was cut off and is back: what other servers sent meanwhile is lost. Presence is
   * asked for afresh (and ours announced, in case others dropped us as silent), lanes here that
   * were revoked meanwhile are told and closed, every stream here gets the current versions
   * (lanes behind fetch; admins refresh) and lanes the current signing keys.
   */
  private async resync(): Promise<void> {
    for (const [laneId, servers] of [...this.remote]) {
      for (const server of [...servers]) this.setRemote(laneId, server, false);
    }
    this.requestPresence();
    this.lastAnnounceAt = this.clock();
    this.announceLanes();
    await this.closeRevokedLanes();
    await this.deliverSigningKeys();
    const current = await this.fleet.readCurrent?.();
    if (!current) return;
    for (const { list, version } of current.lists) {
      this.deliverAll({ type: 'list-version', data: { list, version } });
      this.deliverAdmin('list-version', { list, version });
    }
    this.deliverOfficers(current.officers);
  }
}

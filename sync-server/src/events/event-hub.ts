import {
  URGENT_MAX_CHANGES,
  listSignatureScope,
  type AdminEventData,
  type AdminEventName,
  type CheckpointConfig,
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
import { sendLaneEvent, type SseStream } from './sse.js';

/** A lane's SSE subscription: only `LaneEvent`s (the kiosk API contract) go down its stream. */
interface LaneSubscriber {
  readonly laneId: string;
  readonly checkpointId: string;
  readonly stream: SseStream;
  /** The current list key of the lane's key scope; none: the lane gets no urgent push. */
  readonly listKey?: () => ListKey;
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

/**
 * Fans events out to open SSE streams: admins get alerts and fleet changes; lanes get list
 * versions and urgent health changes that block at their own checkpoint. Every event to a lane
 * is a `LaneEvent` of the kiosk API contract: a wrong name or body does not compile.
 */
export class EventHub {
  private readonly admins = new Set<SseStream>();
  /** Who opened each admin stream (session hash or `token`), for the per-credential cap. */
  private readonly adminOwners = new Map<SseStream, string>();
  private readonly lanes = new Set<LaneSubscriber>();

  /**
   * `signList` signs what an urgent push carries (lanes refuse an unsigned one); without it
   * pushes go unsigned (tests of the hub alone).
   */
  constructor(
    private readonly blockingStatuses: (checkpointId: string) => readonly HealthStatus[],
    private readonly signList?: (facts: SignedListFacts) => string,
    private readonly clock: () => number = Date.now,
  ) {}

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
  addLane(laneId: string, checkpointId: string, stream: SseStream, listKey?: () => ListKey): () => void {
    const sub: LaneSubscriber = { laneId, checkpointId, stream, ...(listKey && { listKey }) };
    this.lanes.add(sub);
    // A Set iterates in insertion order: the lane's oldest streams come first.
    const mine = [...this.lanes].filter((s) => s.laneId === laneId);
    for (const old of mine.slice(0, Math.max(0, mine.length - STREAMS_PER_LANE))) {
      this.lanes.delete(old);
      old.stream.close();
    }
    return () => {
      this.lanes.delete(sub);
    };
  }

  /** Ids of the lanes with an open stream. */
  connectedLanes(): Set<string> {
    return new Set([...this.lanes].map((s) => s.laneId));
  }

  /** Number of open streams (admins, lanes); `kiosks` is the admin stream's JSON field name. */
  counts(): { admins: number; kiosks: number } {
    return { admins: this.admins.size, kiosks: this.lanes.size };
  }

  /** Sends an event to every admin stream (the admin contract's events only). */
  publishAdmin<K extends AdminEventName>(event: K, data: AdminEventData<K>): void {
    for (const s of this.admins) s.send(event, data);
  }

  /**
   * Tells every lane (and every admin stream) a list is at a new version. For a small health
   * write, lanes first get the changes that block at their checkpoint inline (`urgent`), keyed
   * with their key scope's current list key and signed for it, then the version.
   */
  publishListVersion(
    list: ListName,
    version: number,
    fromVersion: number,
    urgent: readonly UrgentHealthChange[] = [],
  ): void {
    const pushes = list === 'health' && urgent.length > 0 && urgent.length <= URGENT_MAX_CHANGES;
    const issuedAt = this.clock();
    // Per checkpoint: its list key and blocking statuses (lanes of one checkpoint share them).
    const checkpoints = new Map<string, { key: ListKey; blocking: readonly HealthStatus[] } | null>();
    // Per list key: the changes keyed with it, in `urgent` order.
    const keyed = new Map<number, WireUrgentChange[]>();
    // Per list key and distinct set of blocking statuses: the push (checkpoints share a few such sets).
    const pushed = new Map<string, LaneEvent | null>();
    const pushFor = (sub: LaneSubscriber): LaneEvent | null => {
      let cp = checkpoints.get(sub.checkpointId);
      if (cp === undefined) {
        cp = sub.listKey ? { key: sub.listKey(), blocking: this.blockingStatuses(sub.checkpointId) } : null;
        checkpoints.set(sub.checkpointId, cp);
      }
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
    this.publishAdmin('list-version', { list, version });
  }

  /** Tells every lane and admin stream the officer roster is at a new version (lanes then fetch theirs). */
  publishOfficers(version: number): void {
    for (const sub of this.lanes) sendLaneEvent(sub.stream, { type: 'officers', data: { version } });
    this.publishAdmin('officers', { version });
  }

  /** Tells every lane the list-signing keys changed (a rotation): the whole set, each new key endorsed. */
  publishSigningKeys(keys: readonly ListSigningKey[]): void {
    const event: LaneEvent = { type: 'signing-keys', data: { keys: [...keys] } };
    for (const sub of this.lanes) sendLaneEvent(sub.stream, event);
  }

  /**
   * Sends a checkpoint's new config to the lanes at that checkpoint, with `checkpointSignature`
   * (CLCFG1) when given (lanes that trust list-signing keys refuse a config without it).
   */
  publishCheckpoint(checkpointId: string, config: CheckpointConfig, checkpointSignature?: string): void {
    const data = {
      ...config,
      blockingStatuses: [...config.blockingStatuses],
      ...(checkpointSignature !== undefined && { checkpointSignature }),
    };
    const event: LaneEvent = { type: 'checkpoint', data };
    for (const sub of this.lanes) if (sub.checkpointId === checkpointId) sendLaneEvent(sub.stream, event);
  }

  /** Sends an event to one lane's open streams (e.g. `revoked`). */
  publishLane(laneId: string, event: LaneEvent): void {
    for (const sub of this.lanes) if (sub.laneId === laneId) sendLaneEvent(sub.stream, event);
  }

  /** Closes one lane's streams. */
  closeLane(laneId: string): void {
    for (const sub of [...this.lanes]) if (sub.laneId === laneId) sub.stream.close();
  }

  /** Ends every stream (server shutdown), so in-flight requests can finish. */
  closeAll(): void {
    for (const s of [...this.admins]) s.close();
    for (const sub of [...this.lanes]) sub.stream.close();
    this.admins.clear();
    this.adminOwners.clear();
    this.lanes.clear();
  }
}

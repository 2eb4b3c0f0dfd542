import type { HealthEntry, HealthStatus, ListName } from '@checkpoint-lane/shared';
import type { SseStream } from './sse.js';

/** A lane's SSE subscription. */
interface KioskSubscriber {
  readonly kioskId: string;
  readonly checkpointId: string;
  readonly stream: SseStream;
}

/** A small health change pushed inline to lanes whose checkpoint it blocks at. */
export interface UrgentHealthChange {
  readonly key: string;
  readonly op: 'put';
  readonly entry: HealthEntry;
}

/** Urgent changes are pushed inline only for writes up to this many rows. */
export const URGENT_MAX_CHANGES = 100;

/**
 * Event streams one lane may hold open; a new one beyond it closes the lane's oldest. Two, so a
 * reconnect can overlap a stream the network has not yet noticed is dead.
 */
export const STREAMS_PER_KIOSK = 2;
/**
 * Event streams one admin credential (a console session, or the admin token) may hold open; a
 * new one closes the oldest. Six: the connections a browser opens to one server.
 */
export const STREAMS_PER_ADMIN = 6;

/**
 * Fans events out to open SSE streams: admins get alerts and fleet changes; lanes get list
 * versions and urgent health changes that block at their own checkpoint.
 */
export class EventHub {
  private readonly admins = new Set<SseStream>();
  /** Who opened each admin stream (session hash or `token`), for the per-credential cap. */
  private readonly adminOwners = new Map<SseStream, string>();
  private readonly kiosks = new Set<KioskSubscriber>();

  constructor(private readonly blockingStatuses: (checkpointId: string) => readonly HealthStatus[]) {}

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
   * `STREAMS_PER_KIOSK` are closed, oldest first: a new one replaces the oldest.
   */
  addKiosk(kioskId: string, checkpointId: string, stream: SseStream): () => void {
    const sub = { kioskId, checkpointId, stream };
    this.kiosks.add(sub);
    // A Set iterates in insertion order: the lane's oldest streams come first.
    const mine = [...this.kiosks].filter((s) => s.kioskId === kioskId);
    for (const old of mine.slice(0, Math.max(0, mine.length - STREAMS_PER_KIOSK))) {
      this.kiosks.delete(old);
      old.stream.close();
    }
    return () => {
      this.kiosks.delete(sub);
    };
  }

  /** Kiosk ids with an open stream. */
  connectedKiosks(): Set<string> {
    return new Set([...this.kiosks].map((s) => s.kioskId));
  }

  /** Number of open streams (admins, lanes). */
  counts(): { admins: number; kiosks: number } {
    return { admins: this.admins.size, kiosks: this.kiosks.size };
  }

  /** Sends an event to every admin stream. */
  publishAdmin(event: string, data: unknown): void {
    for (const s of this.admins) s.send(event, data);
  }

  /**
   * Tells every lane (and every admin stream) a list is at a new version. For a small health
   * write, lanes first get the changes that block at their checkpoint inline (`urgent`), then
   * the version.
   */
  publishListVersion(
    list: ListName,
    version: number,
    fromVersion: number,
    urgent: readonly UrgentHealthChange[] = [],
  ): void {
    for (const sub of this.kiosks) {
      if (list === 'health' && urgent.length > 0 && urgent.length <= URGENT_MAX_CHANGES) {
        const blocking = this.blockingStatuses(sub.checkpointId);
        const mine = urgent.filter((c) => blocking.includes(c.entry.status));
        if (mine.length > 0)
          sub.stream.send('urgent', { list, fromVersion, toVersion: version, changes: mine });
      }
      sub.stream.send('list-version', { list, version });
    }
    this.publishAdmin('list-version', { list, version });
  }

  /** Tells every lane and admin stream the officer roster is at a new version (lanes then fetch theirs). */
  publishOfficers(version: number): void {
    for (const sub of this.kiosks) sub.stream.send('officers', { version });
    this.publishAdmin('officers', { version });
  }

  /** Sends a checkpoint's new config to the lanes at that checkpoint. */
  publishCheckpoint(checkpointId: string, config: unknown): void {
    for (const sub of this.kiosks)
      if (sub.checkpointId === checkpointId) sub.stream.send('checkpoint', config);
  }

  /** Sends an event to one kiosk's open streams (e.g. revoked). */
  publishKiosk(kioskId: string, event: string, data: unknown): void {
    for (const sub of this.kiosks) if (sub.kioskId === kioskId) sub.stream.send(event, data);
  }

  /** Closes one kiosk's streams. */
  closeKiosk(kioskId: string): void {
    for (const sub of [...this.kiosks]) if (sub.kioskId === kioskId) sub.stream.close();
  }

  /** Ends every stream (server shutdown), so in-flight requests can finish. */
  closeAll(): void {
    for (const s of [...this.admins]) s.close();
    for (const sub of [...this.kiosks]) sub.stream.close();
    this.admins.clear();
    this.adminOwners.clear();
    this.kiosks.clear();
  }
}

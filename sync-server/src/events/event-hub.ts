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
 * Fans events out to open SSE streams: admins get alerts and fleet changes; lanes get list
 * versions and urgent health changes that block at their own checkpoint.
 */
export class EventHub {
  private readonly admins = new Set<SseStream>();
  private readonly kiosks = new Set<KioskSubscriber>();

  constructor(private readonly blockingStatuses: (checkpointId: string) => readonly HealthStatus[]) {}

  /** Subscribes an admin stream; returns the unsubscribe function. */
  addAdmin(stream: SseStream): () => void {
    this.admins.add(stream);
    return () => {
      this.admins.delete(stream);
    };
  }

  /** Subscribes a lane stream; returns the unsubscribe function. */
  addKiosk(kioskId: string, checkpointId: string, stream: SseStream): () => void {
    const sub = { kioskId, checkpointId, stream };
    this.kiosks.add(sub);
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
    this.kiosks.clear();
  }
}

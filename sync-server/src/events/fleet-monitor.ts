import type { EventHub } from './event-hub.js';

/**
 * Tracks which lanes are online (an open event stream, or a heartbeat within
 * `offlineAfterMs`) and tells admins when one changes.
 */
export class FleetMonitor {
  private readonly lastSeen = new Map<string, number>();
  private readonly online = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hub: EventHub,
    private readonly clock: () => number,
    private readonly offlineAfterMs: number,
  ) {}

  /** Starts the periodic offline sweep. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweep();
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the sweep. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A lane was heard from (heartbeat, upload, stream). */
  seen(kioskId: string): void {
    this.lastSeen.set(kioskId, this.clock());
    this.update(kioskId);
  }

  /** Whether a lane counts as online now. */
  isOnline(kioskId: string): boolean {
    return this.online.has(kioskId);
  }

  /** Forgets a lane (revoked). */
  forget(kioskId: string): void {
    this.lastSeen.delete(kioskId);
    this.update(kioskId);
  }

  /** Re-evaluates every known lane. */
  sweep(): void {
    for (const id of new Set([...this.lastSeen.keys(), ...this.online])) this.update(id);
  }

  /** Re-evaluates one lane and publishes a change. */
  update(kioskId: string): void {
    const seen = this.lastSeen.get(kioskId);
    const now =
      this.hub.connectedKiosks().has(kioskId) ||
      (seen !== undefined && this.clock() - seen < this.offlineAfterMs);
    const was = this.online.has(kioskId);
    if (now === was) return;
    if (now) this.online.add(kioskId);
    else this.online.delete(kioskId);
    this.hub.publishAdmin('kiosk-status', { kioskId, online: now, at: this.clock() });
  }
}

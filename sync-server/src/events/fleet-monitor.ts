import type { EventHub } from './event-hub.js';

/**
 * Tracks which lanes are online and tells admins when one changes. A lane is online while it
 * has an event stream open; once its stream closes, only for `streamGraceMs` after the close or
 * its last heartbeat or upload since (a dead lane shows offline within the grace, not minutes
 * later); a lane that never held a stream, while it was heard from within `offlineAfterMs`.
 *
 * Across servers (fleet mode), "has an event stream open" means on any server: the hub learns
 * other servers' lane streams from their `lane-presence` messages and tells this monitor when a
 * lane's connection changes there (a close elsewhere starts the same grace as a close here).
 * Heartbeats and uploads (`seen`) count at once on the server that got them; the other servers
 * hear of heartbeats from the database (`readHeard`, each sweep: the lanes whose stored heartbeat
 * is newer than the last read), so a lane that polls one server without a stream shows online on
 * every server's console. A server that vanishes
 * without closing its streams (killed, cut off from the database) stops sending `server-alive`:
 * the hub drops its lanes at the first sweep (`hub.beat()`) `serverSilentMs` (default 30 s) after
 * its last message, and they go offline one `streamGraceMs` later. So a lane stays online at most
 * serverSilentMs + one sweep interval + streamGraceMs after its server disappeared.
 */
export class FleetMonitor {
  private readonly lastSeen = new Map<string, number>();
  /** When a lane's last event stream closed (cleared when it opens one again). */
  private readonly streamClosedAt = new Map<string, number>();
  private readonly online = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  /** The last heartbeat time read from the database (`readHeard`), and whether a read runs. */
  private heardThrough = 0;
  private reading = false;

  constructor(
    private readonly hub: EventHub,
    private readonly clock: () => number,
    private readonly offlineAfterMs: number,
    streamGraceMs = 45_000,
    /** Fleet mode: lanes heard by any server since a time, from the database (see `FleetStore`). */
    private readonly readHeard?: (since: number) => Promise<readonly { id: string; at: number }[]>,
  ) {
    // Never longer than a lane may stay silent at all.
    this.streamGraceMs = Math.min(streamGraceMs, offlineAfterMs);
    hub.onPresence((laneId, connected) => {
      if (connected) this.update(laneId);
      else this.streamClosed(laneId);
    });
  }

  private readonly streamGraceMs: number;

  /**
   * Starts the periodic offline sweep; each sweep also tells the other servers this one is alive
   * and drops silent ones. Asks the other servers for their connected lanes once.
   */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.hub.beat();
      this.sweep();
      void this.readFromDatabase();
    }, intervalMs);
    this.timer.unref();
    this.hub.requestPresence();
  }

  /** Stops the sweep (presence from other servers still updates the view). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A lane was heard from (heartbeat, upload, stream). */
  seen(kioskId: string): void {
    this.heardAt(kioskId, this.clock());
  }

  /** A lane was heard from at `at` (here or, read from the database, on another server). */
  private heardAt(kioskId: string, at: number): void {
    if (at > (this.lastSeen.get(kioskId) ?? -Infinity)) this.lastSeen.set(kioskId, at);
    this.update(kioskId);
  }

  /**
   * Reads the heartbeats stored since the last read (any server's) and counts them as heard; at
   * most one read at a time; a failed read is tried again at the next sweep (the database being
   * away shows on `/health`, not here). Answers when the read is done (tests await it).
   */
  async readFromDatabase(): Promise<void> {
    if (this.readHeard === undefined || this.reading) return;
    this.reading = true;
    try {
      // From a little before the newest time read: heartbeats stored by other servers' clocks and
      // committed late (a transaction in flight) are not skipped; re-reading one is harmless.
      const since = Math.max(this.heardThrough - 10_000, this.clock() - this.offlineAfterMs);
      for (const h of await this.readHeard(since)) {
        this.heardThrough = Math.max(this.heardThrough, h.at);
        this.heardAt(h.id, h.at);
      }
    } catch {
      // Tried again at the next sweep.
    } finally {
      this.reading = false;
    }
  }

  /** Whether a lane counts as online now. */
  isOnline(kioskId: string): boolean {
    return this.online.has(kioskId);
  }

  /** Forgets a lane (revoked). */
  forget(kioskId: string): void {
    this.lastSeen.delete(kioskId);
    this.streamClosedAt.delete(kioskId);
    this.update(kioskId);
  }

  /**
   * A lane's event stream closed: unless it opens another or is heard from, it is offline
   * after the grace (re-checked then, not only at the next sweep).
   */
  streamClosed(kioskId: string): void {
    if (!this.hub.isConnected(kioskId)) {
      this.streamClosedAt.set(kioskId, this.clock());
      setTimeout(() => {
        this.update(kioskId);
      }, this.streamGraceMs + 50).unref();
    }
    this.update(kioskId);
  }

  /** Re-evaluates every known lane. */
  sweep(): void {
    for (const id of new Set([...this.lastSeen.keys(), ...this.online])) this.update(id);
  }

  /** Re-evaluates one lane and publishes a change. */
  update(kioskId: string): void {
    const seen = this.lastSeen.get(kioskId);
    const connected = this.hub.isConnected(kioskId);
    if (connected) this.streamClosedAt.delete(kioskId);
    const closedAt = this.streamClosedAt.get(kioskId);
    const t = this.clock();
    const now =
      connected ||
      (closedAt !== undefined
        ? t < Math.max(closedAt, seen ?? 0) + this.streamGraceMs
        : seen !== undefined && t - seen < this.offlineAfterMs);
    const was = this.online.has(kioskId);
    if (now === was) return;
    if (now) this.online.add(kioskId);
    else this.online.delete(kioskId);
    this.hub.publishAdmin('kiosk-status', { kioskId, online: now, at: this.clock() });
  }
}

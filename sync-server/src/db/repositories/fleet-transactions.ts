import type { ListKey, ListKeys } from '../../lists/list-keys.js';
import type { Db } from '../open-database.js';
import type { AuditRepository } from './audit-repository.js';
import type { KiosksRepository } from './kiosks-repository.js';

/** The repositories the fleet's admin units of work span (the app's `Services` has them all). */
export interface FleetTransactionRepositories {
  readonly db: Db;
  readonly kiosks: KiosksRepository;
  readonly audit: AuditRepository;
  readonly listKeys: ListKeys;
}

/** A revocation's outcome: the scope rotated by it and its new key (null: the lane was revoked before). */
export interface LaneRevocation {
  readonly rotated: ListKey | null;
}

/**
 * The admin API's fleet changes that span repositories, each with its audit record in one
 * transaction, so the routes open none: an enrollment code, and a lane's revocation.
 */
export class FleetTransactions {
  constructor(private readonly r: FleetTransactionRepositories) {}

  /** Stores a one-time enrollment code's hash and audits `enrollment.create` by `actor`. */
  createEnrollmentCode(
    codeHash: string,
    checkpointId: string,
    now: number,
    expiresAt: number,
    actor: string,
  ): void {
    this.r.db.transaction(() => {
      this.r.kiosks.addEnrollmentCode(codeHash, checkpointId, now, expiresAt);
      this.r.audit.record(now, actor, 'enrollment.create', checkpointId, { expiresAt });
    })();
  }

  /**
   * Revokes a lane's token and audits `kiosk.revoke` by `actor`; null (nothing written) when
   * there is no such lane. The first revocation also rotates the list key of the lane's key scope
   * (audited `lists.rotate-key`, reason `kiosk.revoke`), all in one transaction. Revoking again
   * keeps the first time, is audited again and rotates nothing.
   */
  /** Lanes not revoked heard (heartbeat) after `since`, with the time (see `FleetStore.heardSince`). */
  heardSince(since: number): { id: string; at: number }[] {
    return this.r.db
      .prepare(
        'SELECT id, last_heartbeat_at AS at FROM kiosks WHERE last_heartbeat_at > ? AND revoked_at IS NULL',
      )
      .all(since) as { id: string; at: number }[];
  }

  revokeLane(laneId: string, now: number, actor: string): LaneRevocation | null {
    return this.r.db.transaction((): LaneRevocation | null => {
      const lane = this.r.kiosks.get(laneId);
      if (!lane || !this.r.kiosks.revoke(laneId, now)) return null;
      this.r.audit.record(now, actor, 'kiosk.revoke', laneId);
      if (lane.revokedAt !== null) return { rotated: null };
      const scope = this.r.listKeys.scopeOf(lane.checkpointId);
      const rotated = this.r.listKeys.rotate(scope, now, 'kiosk.revoke');
      this.r.audit.record(now, actor, 'lists.rotate-key', scope, {
        keyId: rotated.id,
        reason: 'kiosk.revoke',
        kioskId: laneId,
      });
      return { rotated };
    })();
  }
}

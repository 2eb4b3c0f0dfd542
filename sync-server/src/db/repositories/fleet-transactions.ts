import type { Db } from '../open-database.js';
import type { AuditRepository } from './audit-repository.js';
import type { KiosksRepository } from './kiosks-repository.js';

/** The repositories the fleet's admin units of work span (the app's `Services` has them all). */
export interface FleetTransactionRepositories {
  readonly db: Db;
  readonly kiosks: KiosksRepository;
  readonly audit: AuditRepository;
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
   * Revokes a lane's token and audits `kiosk.revoke` by `actor`; false (nothing written) when
   * there is no such lane. Revoking again keeps the first time and is audited again.
   */
  revokeLane(laneId: string, now: number, actor: string): boolean {
    return this.r.db.transaction(() => {
      const ok = this.r.kiosks.revoke(laneId, now);
      if (ok) this.r.audit.record(now, actor, 'kiosk.revoke', laneId);
      return ok;
    })();
  }
}

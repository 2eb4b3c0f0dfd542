import type { LaneRecord, OfficerRoster } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import type { AuditRepository } from './audit-repository.js';
import type { KiosksRepository } from './kiosks-repository.js';
import type { OfficersRepository } from './officers-repository.js';
import type { IngestResult, ScansRepository } from './scans-repository.js';

/** The repositories the kiosk API's units of work span (the app's `Services` has them all). */
export interface LaneTransactionRepositories {
  readonly db: Db;
  readonly kiosks: KiosksRepository;
  readonly scans: ScansRepository;
  readonly audit: AuditRepository;
  readonly officers: OfficersRepository;
}

/** A lane as the auth hook identified it. */
export interface LaneRef {
  readonly id: string;
  readonly checkpointId: string;
}

/**
 * The kiosk API's units of work that span repositories, each in one transaction, so the routes
 * open none: an enrollment with its audit record, an upload with the audit of its health
 * releases, and the officer roster read at one version.
 */
export class LaneTransactions {
  constructor(private readonly r: LaneTransactionRepositories) {}

  /**
   * Spends an enrollment code, enrolls the lane and audits `kiosk.enroll`. Null (nothing
   * written) when the code is unknown, expired or already used.
   */
  enroll(
    codeHash: string,
    lane: { id: string; name: string; tokenHash: string },
    now: number,
  ): { checkpointId: string } | null {
    return this.r.db.transaction(() => {
      const enrolled = this.r.kiosks.enroll(codeHash, lane, now);
      if (enrolled)
        this.r.audit.record(now, `kiosk:${lane.id}`, 'kiosk.enroll', enrolled.checkpointId, {
          name: lane.name,
        });
      return enrolled;
    })();
  }

  /**
   * Stores a lane's uploaded records. A health-blocked red let through (a health release) is the
   * most serious thing a lane does: each one is audited with the records that carry it.
   */
  upload(
    lane: LaneRef,
    records: readonly LaneRecord[],
    now: number,
    blockingStatuses: readonly string[],
  ): IngestResult {
    return this.r.db.transaction(() => {
      const result = this.r.scans.ingest(lane.id, lane.checkpointId, records, now, blockingStatuses);
      for (const h of result.healthReleases) {
        this.r.audit.record(now, `kiosk:${lane.id}`, 'override.health_release', h.scanId, {
          overrideId: h.overrideId,
          checkpointId: lane.checkpointId,
          officerId: h.officerId,
          supervisorId: h.supervisorId,
          reason: h.reason,
          verified: h.verified,
          ...(h.issues.length > 0 && { issues: h.issues }),
        });
      }
      return result;
    })();
  }

  /** The roster version and the active officers valid at a checkpoint, read at that version. */
  roster(checkpointId: string): OfficerRoster {
    return this.r.db.transaction(() => ({
      version: this.r.officers.version(),
      officers: this.r.officers
        .activeAt(checkpointId)
        .map((o) => ({ id: o.id, name: o.name, role: o.role, pinHash: o.pinHash })),
    }))();
  }
}

import type { LaneRecord, ListName, ListRefusalReport, OfficerRoster } from '@checkpoint-lane/shared';
import { ListCounts } from '../../lists/list-counts.js';
import type { Db } from '../open-database.js';
import type { AuditRepository } from './audit-repository.js';
import type { KiosksRepository } from './kiosks-repository.js';
import type { ChangesResult, ListsRepository } from './lists-repository.js';
import type { OfficersRepository } from './officers-repository.js';
import type { IngestResult, ScansRepository } from './scans-repository.js';

/** The repositories the kiosk API's units of work span (the app's `Services` has them all). */
export interface LaneTransactionRepositories {
  readonly db: Db;
  readonly kiosks: KiosksRepository;
  readonly scans: ScansRepository;
  readonly audit: AuditRepository;
  readonly officers: OfficersRepository;
  readonly lists: ListsRepository;
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
  readonly #counts: ListCounts;

  constructor(private readonly r: LaneTransactionRepositories) {
    this.#counts = new ListCounts(r.db);
  }

  /**
   * A lane's delta (see `ListsRepository.changesSince`) and, read in the same transaction, the
   * number of entries the lane holds at its `toVersion`: what the answer's signature covers.
   */
  changesWithCount(
    list: ListName,
    since: number,
    checkpointId: string,
  ): Exclude<ChangesResult, { kind: 'ok' }> | (Extract<ChangesResult, { kind: 'ok' }> & { count: number }) {
    return this.r.db.transaction(() => {
      const r = this.r.lists.changesSince(list, since, checkpointId);
      return r.kind === 'ok' ? { ...r, count: this.#counts.laneCount(list, checkpointId) } : r;
    })();
  }

  /**
   * Records what a lane reported of the list data it refused; a report that differs from the
   * stored one is audited (`lane.list_refused`: the list, the last reason, how many since the
   * lane started). Returns whether it differed.
   */
  listRefusals(laneId: string, report: ListRefusalReport, now: number): boolean {
    return this.r.db.transaction(() => {
      const stored = this.r.db
        .prepare('SELECT list_refusals FROM kiosks WHERE id = ?')
        .pluck()
        .get(laneId) as string | null | undefined;
      const text = JSON.stringify(report);
      if (stored === text) return false;
      this.r.db.prepare('UPDATE kiosks SET list_refusals = ? WHERE id = ?').run(text, laneId);
      this.r.audit.record(now, `kiosk:${laneId}`, 'lane.list_refused', report.lastList ?? 'signing-keys', {
        reason: report.lastReason,
        count: report.count,
      });
      return true;
    })();
  }

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

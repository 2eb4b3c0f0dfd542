import type { ScanView } from '@checkpoint-lane/shared';
import type { Db } from '../../open-database.js';
import { laneOutcome, laneRecordsOf } from './lane-record-views.js';
import { scanWhere, type ScanQuery } from './scan-filter.js';
import type { StatementCache } from './statement-cache.js';

/** A scan row joined to its lane, as the search reads it. */
export interface ScanRow {
  no: number;
  kiosk_id: string;
  kiosk_name: string;
  seq: number;
  id: string;
  checkpoint_id: string;
  at: number;
  received_at: number;
  source: string;
  format: string | null;
  key_hex: string | null;
  decision: string;
  reasons: string;
  warnings: string;
  alert: number;
  vehicle_id: string | null;
}

/** The scan search (`GET /scans`): scans with their overrides, acknowledgements and outcome. */
export class ScanSearch {
  constructor(
    private readonly db: Db,
    private readonly statements: StatementCache,
  ) {}

  /** Scans matching the filters, newest first. */
  search(q: ScanQuery): ScanView[] {
    const where = scanWhere(q, q.before);
    const rows = this.db
      .prepare(
        `SELECT s.no, k.id AS kiosk_id, k.name AS kiosk_name, s.seq, s.id, s.checkpoint_id, s.at, s.received_at,
           s.source, s.format,
           CASE WHEN s.subject_key IS NULL THEN NULL ELSE printf('%016x', s.subject_key) END AS key_hex,
           s.decision, s.reasons, s.warnings, s.alert, s.vehicle_id
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE ${where.sql}
         ORDER BY s.no DESC
         LIMIT @limit`,
      )
      .all({ ...where.params, limit: q.limit }) as ScanRow[];
    return rows.map((r): ScanView => {
      const { overrides, acks } = laneRecordsOf(this.statements, r.id);
      const warnings = JSON.parse(r.warnings) as string[];
      return {
        no: r.no,
        id: r.id,
        kioskId: r.kiosk_id,
        kioskName: r.kiosk_name,
        seq: r.seq,
        checkpointId: r.checkpoint_id,
        at: r.at,
        receivedAt: r.received_at,
        source: r.source,
        format: r.format,
        subjectKey: r.key_hex,
        decision: r.decision,
        reasons: JSON.parse(r.reasons) as string[],
        warnings,
        alert: r.alert === 1,
        vehicleId: r.vehicle_id,
        overrides,
        acks,
        outcome: laneOutcome({ kioskId: r.kiosk_id, decision: r.decision, warnings }, overrides, acks),
      };
    });
  }
}

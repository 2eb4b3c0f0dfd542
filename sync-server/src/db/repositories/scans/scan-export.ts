import type { Db } from '../../open-database.js';
import { scanWhere, type ScanFilter } from './scan-filter.js';
import type { ScanRow } from './scan-search.js';

/** One scan as the CSV export writes it: the scan and its latest override, if any. */
export interface ScanExportRow {
  readonly no: number;
  readonly receivedAt: number;
  readonly at: number;
  readonly checkpointId: string;
  /** The lane's name (the `lane` column). */
  readonly kioskName: string;
  readonly source: string;
  readonly format: string | null;
  readonly subjectKey: string | null;
  readonly decision: string;
  readonly reasons: string;
  readonly warnings: string;
  readonly alert: boolean;
  readonly scanId: string;
  /** The vehicle the scan belongs to (its plate scan's record id), null when none. */
  readonly vehicleId: string | null;
  readonly override: {
    readonly decision: string;
    readonly officerId: string;
    readonly supervisorId: string | null;
    readonly reason: string;
    readonly note: string;
    /** True: checked; false: distrusted; null: not checked. */
    readonly verified: boolean | null;
  } | null;
}

type ExportRow = Omit<ScanRow, 'kiosk_id' | 'seq'> & {
  o_decision: string | null;
  officer_id: string | null;
  supervisor_id: string | null;
  reason: string | null;
  note: string | null;
  verified: number | null;
};

/** The CSV export's reads: a stable set of arrivals, counted, read page by page. */
export class ScanExport {
  constructor(private readonly db: Db) {}

  /** The highest arrival number held (0 when empty): an export reads below it, a stable set. */
  lastNo(): number {
    return (this.db.prepare('SELECT max(no) FROM scans').pluck().get() as number | null) ?? 0;
  }

  /** The lowest arrival number held (1 when empty). */
  firstNo(): number {
    return (this.db.prepare('SELECT min(no) FROM scans').pluck().get() as number | null) ?? 1;
  }

  /** How many scans match the filters below arrival number `before`, counting at most `max`. */
  countUpTo(f: ScanFilter, before: number, max: number): number {
    const where = scanWhere(f, before);
    return this.db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE ${where.sql} LIMIT @max)`,
      )
      .pluck()
      .get({ ...where.params, max }) as number;
  }

  /**
   * One page of the CSV export: scans matching the filters below arrival number `before`,
   * newest first, each with its latest override (same order and filters as the search). The
   * statement is iterated to the end here, so no cursor stays open between pages.
   */
  exportPage(f: ScanFilter, before: number, limit: number): ScanExportRow[] {
    const out: ScanExportRow[] = [];
    const where = scanWhere(f, before);
    const it = this.db
      .prepare(
        `SELECT s.no, s.received_at, s.at, s.checkpoint_id, k.name AS kiosk_name, s.source, s.format,
           CASE WHEN s.subject_key IS NULL THEN NULL ELSE printf('%016x', s.subject_key) END AS key_hex,
           s.decision, s.reasons, s.warnings, s.alert, s.id, s.vehicle_id,
           o.decision AS o_decision, o.officer_id, o.supervisor_id, o.reason, o.note, o.verified
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
           LEFT JOIN overrides o ON o.no =
             (SELECT no FROM overrides WHERE scan_id = s.id AND kiosk_no = s.kiosk_no ORDER BY at DESC, no DESC LIMIT 1)
         WHERE ${where.sql}
         ORDER BY s.no DESC
         LIMIT @limit`,
      )
      .iterate({ ...where.params, limit }) as IterableIterator<ExportRow>;
    for (const r of it) {
      out.push({
        no: r.no,
        receivedAt: r.received_at,
        at: r.at,
        checkpointId: r.checkpoint_id,
        kioskName: r.kiosk_name,
        source: r.source,
        format: r.format,
        subjectKey: r.key_hex,
        decision: r.decision,
        reasons: (JSON.parse(r.reasons) as string[]).join(';'),
        warnings: (JSON.parse(r.warnings) as string[]).join(';'),
        alert: r.alert === 1,
        scanId: r.id,
        vehicleId: r.vehicle_id,
        override:
          r.o_decision === null
            ? null
            : {
                decision: r.o_decision,
                officerId: r.officer_id ?? '',
                supervisorId: r.supervisor_id,
                reason: r.reason ?? '',
                note: r.note ?? '',
                verified: r.verified === null ? null : r.verified === 1,
              },
      });
    }
    return out;
  }
}

import { SCAN_EXPORT_COLUMNS } from '@checkpoint-lane/shared';
import { csvLine, UTF8_BOM } from '../../csv/csv-writer.js';
import type { ScanExport } from '../../db/repositories/scans/scan-export.js';
import type { ScanFilter } from '../../db/repositories/scans/scan-filter.js';

/** The export's header line: the column names of the admin API contract. */
export const SCAN_CSV_HEADER = SCAN_EXPORT_COLUMNS.join(',');

/** An export stops after this many rows (and says so in `X-Truncated`). */
export const SCAN_EXPORT_MAX_ROWS = 1_000_000;
/** Rows read per query (a few ms of synchronous work: other requests run between pages). */
export const SCAN_EXPORT_PAGE = 500;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The scans matching `filter` as CSV text chunks (BOM and header first, then one chunk per
 * page, newest arrivals first like the search), at most `maxRows` rows. Reads only scans that
 * had arrived when it started, in pages by arrival number, so memory stays flat and no SQLite
 * cursor stays open while the client reads.
 */
export async function* scanCsvChunks(
  repo: {
    exportPage(...args: Parameters<ScanExport['exportPage']>): Promise<ReturnType<ScanExport['exportPage']>>;
  },
  filter: ScanFilter,
  opts: { before: number; maxRows: number; pageSize?: number },
): AsyncGenerator<string> {
  yield `${UTF8_BOM}${SCAN_CSV_HEADER}\r\n`;
  const pageSize = opts.pageSize ?? SCAN_EXPORT_PAGE;
  let before = opts.before;
  let left = opts.maxRows;
  while (left > 0) {
    const rows = await repo.exportPage(filter, before, Math.min(pageSize, left));
    if (rows.length === 0) return;
    let text = '';
    for (const r of rows) {
      const o = r.override;
      text += csvLine([
        iso(r.receivedAt),
        iso(r.at),
        r.checkpointId,
        r.kioskName,
        r.source,
        r.format,
        r.subjectKey,
        r.decision,
        r.reasons,
        r.warnings,
        r.alert,
        o?.decision ?? null,
        o?.officerId ?? null,
        o?.supervisorId ?? null,
        o?.reason ?? null,
        o?.note ?? null,
        r.scanId,
        // true: checked; false: the server distrusts it (see the console); empty: not checked.
        o === null || o.verified === null ? null : o.verified,
        r.vehicleId,
      ]);
    }
    left -= rows.length;
    before = rows[rows.length - 1]?.no ?? 0;
    yield text;
    // Let other requests (lane uploads) run between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

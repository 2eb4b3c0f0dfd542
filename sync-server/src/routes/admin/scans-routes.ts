import {
  parseSubjectText,
  ScanFilterQuerySchema,
  ScanSearchAnswerSchema,
  ScanSearchQuerySchema,
  type ScanFilterQuery,
  type ScanSearchAnswer,
} from '@checkpoint-lane/shared';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { adminActor } from '../../auth/auth-hooks.js';
import type { ScanFilter } from '../../db/repositories/scans/scan-filter.js';
import { HttpError } from '../../http-error.js';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';
import { parseTime } from './query-time.js';
import { SCAN_CSV_HEADER, SCAN_EXPORT_MAX_ROWS, scanCsvChunks } from './scan-export.js';

/** The scan filters of `/scans` and `/scans/export.csv`, read from the query string. */
function readScanFilter(s: Services, q: ScanFilterQuery): ScanFilter {
  let key: bigint | undefined;
  if (q.subject !== undefined) {
    const subject = parseSubjectText(q.subject);
    if (!subject)
      throw new HttpError(400, 'bad_subject', 'subject is not a personal ID, passport number or plate');
    key = subjectKey(s.listKey, subject);
  }
  const from = parseTime('from', q.from);
  const to = parseTime('to', q.to);
  return {
    ...(key !== undefined && { subjectKey: key }),
    ...(q.checkpoint !== undefined && { checkpointId: q.checkpoint }),
    ...(q.kiosk !== undefined && { kioskId: q.kiosk }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(q.decision !== undefined && { decision: q.decision }),
    ...(q.scan !== undefined && { scanId: q.scan }),
    ...(q.vehicle !== undefined && { vehicleId: q.vehicle }),
  };
}

/** Records who searched or exported scans and with which filters (a subject as its keyed hash). */
async function auditScanRead(
  s: Services,
  req: FastifyRequest,
  action: 'scans.search' | 'scans.export',
  f: ScanFilter,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { subjectKey: key, ...rest } = f;
  await s.audit.record(s.clock(), adminActor(req), action, null, {
    ...rest,
    ...(key !== undefined && { subjectKey: subjectKeyToHex(key) }),
    ...extra,
  });
}

/** Today's date in Vietnam time (UTC+7), for file names. */
const vietnamDate = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);

function readCursor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text))
    throw new HttpError(400, 'bad_cursor', 'cursor is not one this server handed out');
  return Number(text);
}

/** `/api/v1/admin/scans…`: the scan search and its CSV export (a subject search or any export is audited). */
export function registerScanRoutes(app: App, s: Services): void {
  app.get(
    '/scans',
    {
      schema: {
        summary: 'Search scans (newest arrivals first, paged by cursor)',
        tags: ['admin'],
        security: adminSecurity,
        querystring: ScanSearchQuerySchema,
        response: { 200: ScanSearchAnswerSchema, ...errors(400, 401) },
      },
    },
    async (req): Promise<ScanSearchAnswer> => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const before = readCursor(q.cursor);
      const filter = readScanFilter(s, q);
      // Following one person's movements is recorded (the first page; paging adds nothing).
      if (filter.subjectKey !== undefined && before === undefined)
        await auditScanRead(s, req, 'scans.search', filter);
      const scans = await s.scans.search({
        ...filter,
        limit,
        ...(before !== undefined && { before }),
      });
      const last = scans.at(-1);
      const nextCursor = scans.length === limit && last ? String(last.no) : null;
      return { scans, nextCursor };
    },
  );

  app.get(
    '/scans/export.csv',
    {
      schema: {
        summary: 'Scans as CSV (same filters and order as the search; UTF-8 with BOM, streamed)',
        description:
          `Columns: ${SCAN_CSV_HEADER} ` +
          `(ISO 8601 times; the latest override of each scan by its own lane, override_verified false when the ` +
          `server distrusts it, empty when unchecked; reasons and warnings joined by ";"; vehicle_id the ` +
          `vehicle's plate scan id in vehicle mode, empty when none). ` +
          `RFC 4180 quoting; a cell starting with = + - @ tab or CR is prefixed with '. At most ` +
          `${SCAN_EXPORT_MAX_ROWS} rows: \`X-Truncated: true\` when more matched.`,
        tags: ['admin'],
        security: adminSecurity,
        querystring: ScanFilterQuerySchema,
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const filter = readScanFilter(s, req.query);
      const before = (await s.scans.lastNo()) + 1;
      // Counting is a walk over the rows (the server waits meanwhile): only when there could
      // be more rows below `before` than the cap.
      const truncated =
        before - (await s.scans.firstNo()) > SCAN_EXPORT_MAX_ROWS &&
        (await s.scans.countUpTo(filter, before, SCAN_EXPORT_MAX_ROWS + 1)) > SCAN_EXPORT_MAX_ROWS;
      await auditScanRead(s, req, 'scans.export', filter, { truncated });
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="scans-${vietnamDate(s.clock())}.csv"`)
        .header('cache-control', 'no-store')
        .header('x-truncated', String(truncated));
      return reply.send(
        Readable.from(scanCsvChunks(s.scans, filter, { before, maxRows: SCAN_EXPORT_MAX_ROWS })),
      );
    },
  );
}

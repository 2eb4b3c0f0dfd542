import { ArrivalsAnswerSchema, ArrivalsQuerySchema, type ArrivalsAnswer } from '@checkpoint-lane/shared';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';
import { parseTime } from './query-time.js';

/** The default window around now: 14 days back and ahead. */
const DEFAULT_SPAN_MS = 14 * 24 * 3_600_000;

/**
 * `GET /api/v1/admin/arrivals` (issue 16): movement declarations whose destination is the area,
 * for its police, with whether and where their pass was scanned. An account limited to a province
 * reads only that province's (403 otherwise). Every read is audited (`arrivals.read`).
 */
export function registerArrivalsRoutes(app: App, s: Services): void {
  app.get(
    '/arrivals',
    {
      schema: {
        summary:
          'Declared arrivals in a province, district or ward (declarations whose validity meets the window), with their passes’ scans',
        tags: ['admin'],
        security: adminSecurity,
        querystring: ArrivalsQuerySchema,
        response: { 200: ArrivalsAnswerSchema, ...errors(400, 401, 403) },
      },
    },
    async (req): Promise<ArrivalsAnswer> => {
      const admin = requireRole(req, 'viewer');
      const q = req.query;
      if (admin.province !== null && q.province !== admin.province) {
        throw new HttpError(
          403,
          'forbidden_area',
          `this account reads arrivals of province ${String(admin.province)} only`,
        );
      }
      if (q.ward !== undefined && q.district === undefined)
        throw new HttpError(400, 'bad_area', 'a ward needs its district');
      const now = s.clock();
      const from = parseTime('from', q.from) ?? now - DEFAULT_SPAN_MS;
      const to = parseTime('to', q.to) ?? now + DEFAULT_SPAN_MS;
      if (to < from) throw new HttpError(400, 'bad_time', 'to is before from');
      const arrivals = await s.scans.arrivals({
        province: q.province,
        ...(q.district !== undefined && { district: q.district }),
        ...(q.ward !== undefined && { ward: q.ward }),
        from,
        to,
        limit: q.limit ?? 500,
      });
      await s.audit.record(now, adminActor(req), 'arrivals.read', null, {
        province: q.province,
        ...(q.district !== undefined && { district: q.district }),
        ...(q.ward !== undefined && { ward: q.ward }),
        from,
        to,
        count: arrivals.length,
      });
      return { arrivals, from, to };
    },
  );
}

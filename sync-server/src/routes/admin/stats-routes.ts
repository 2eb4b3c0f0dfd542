import {
  DECISIONS,
  SCAN_STATS_RANGE_HOURS,
  ScanStatsQuerySchema,
  ScanStatsSchema,
  type DecisionColour,
  type ScanStats,
} from '@checkpoint-lane/shared';
import { HOUR_MS } from '../../db/repositories/scans/scan-rollups.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const isDecision = (d: string): d is DecisionColour => (DECISIONS as readonly string[]).includes(d);

/** `/api/v1/admin/stats/…`: chart data from the hourly scan roll-up (registered by the fleet routes). */
export function registerStatsRoutes(app: App, s: Services): void {
  app.get(
    '/stats/scans',
    {
      schema: {
        summary: 'Scans per hour, checkpoint and lane decision, for the charts',
        description:
          'Hours are epoch ms of the hour’s start (UTC-aligned; Vietnam has no half-hour offset). The range ends ' +
          'with the current hour (`to` is exclusive). `series` holds only (checkpoint, hour) pairs with scans, by ' +
          'hour then checkpoint: absent hours had none. `checkpoints` lists every configured checkpoint and any ' +
          'other that has scans in the range (only the asked one with `checkpoint=`).',
        tags: ['admin'],
        security: adminSecurity,
        querystring: ScanStatsQuerySchema,
        response: { 200: ScanStatsSchema, ...errors(400, 401) },
      },
    },
    async (req): Promise<ScanStats> => {
      const to = Math.floor(s.clock() / HOUR_MS) * HOUR_MS + HOUR_MS;
      const from = to - SCAN_STATS_RANGE_HOURS[req.query.range] * HOUR_MS;
      const only = req.query.checkpoint;
      const rows = await s.scans.hourly(from, to, only);
      const totals = { green: 0, amber: 0, red: 0 };
      const series: ScanStats['series'] = [];
      const byKey = new Map<string, ScanStats['series'][number]>();
      const seen = new Set<string>(
        only !== undefined ? [only] : (await s.checkpoints.list()).map((c) => c.id),
      );
      for (const r of rows) {
        if (!isDecision(r.decision)) continue;
        seen.add(r.checkpointId);
        const k = `${r.hour}/${r.checkpointId}`;
        let point = byKey.get(k);
        if (!point) {
          point = { checkpointId: r.checkpointId, hour: r.hour, green: 0, amber: 0, red: 0 };
          byKey.set(k, point);
          series.push(point);
        }
        point[r.decision] += r.count;
        totals[r.decision] += r.count;
      }
      return { from, to, bucketMs: HOUR_MS, checkpoints: [...seen].sort(), series, totals };
    },
  );
}

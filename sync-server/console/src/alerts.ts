// Pure alert-list logic: merging the server's pages with live events, and the paging query.
import { buildQuery } from './format.js';
import type { Alert } from './types.js';

/** Alerts per page. */
export const ALERT_PAGE = 50;

/** Merges alerts by id (newer data wins), newest first. */
export function mergeAlerts(current: readonly Alert[], incoming: readonly Alert[]): Alert[] {
  const byId = new Map<number, Alert>();
  for (const a of current) byId.set(a.id, a);
  for (const a of incoming) byId.set(a.id, { ...byId.get(a.id), ...a });
  return [...byId.values()].sort((a, b) => b.at - a.at || b.id - a.id);
}

/** Whether nobody has acknowledged the alert yet. */
export function isUnacked(a: Alert): boolean {
  return a.ackedAt === null || a.ackedAt === undefined;
}

/** The smallest id among the alerts (the `before` of the next older page), or null. */
export function oldestId(alerts: readonly Alert[]): number | null {
  let min: number | null = null;
  for (const a of alerts) if (min === null || a.id < min) min = a.id;
  return min;
}

/** `GET /api/v1/admin/alerts` for one page: only unacknowledged ones, older than `before`. */
export function alertsPath(opts: { unacked: boolean; before?: number | null; limit?: number }): string {
  return `/api/v1/admin/alerts${buildQuery({
    limit: opts.limit ?? ALERT_PAGE,
    before: opts.before ?? undefined,
    unacked: opts.unacked,
  })}`;
}

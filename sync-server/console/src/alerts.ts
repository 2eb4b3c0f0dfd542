// Pure alert-list logic: merging the server's pages with live events, and the paging query.
import { buildQuery } from './format.js';
import { t, type Lang } from './i18n.js';
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

/** How close repeats of one subject must be to group: one hour. */
export const REPEAT_WINDOW_MS = 3_600_000;

/** Alerts about one subject within an hour of the newest: shown as one row, "3 lần trong 1 giờ". */
export interface AlertGroup {
  /** The newest alert of the group (its row). */
  latest: Alert;
  /** The older ones, newest first. */
  earlier: Alert[];
}

/** What makes two alerts "the same subject": kind and keyed hash (no hash: never grouped). */
function subjectOf(a: Alert): string | null {
  return a.subjectKey === null ? null : `${a.kind ?? 'health'}/${a.subjectKey}`;
}

/**
 * Groups repeats of one subject (same kind, same keyed hash) that fall within `windowMs` of the
 * group's newest alert; the input and every group are newest first, as the page shows them.
 */
export function groupAlerts(alerts: readonly Alert[], windowMs = REPEAT_WINDOW_MS): AlertGroup[] {
  const sorted = [...alerts].sort((a, b) => b.at - a.at || b.id - a.id);
  const groups: AlertGroup[] = [];
  const open = new Map<string, AlertGroup>();
  for (const a of sorted) {
    const key = subjectOf(a);
    const g = key === null ? undefined : open.get(key);
    if (g && g.latest.at - a.at <= windowMs) {
      g.earlier.push(a);
      continue;
    }
    const fresh: AlertGroup = { latest: a, earlier: [] };
    groups.push(fresh);
    if (key !== null) open.set(key, fresh);
  }
  return groups;
}

/** The highest alert id among these (0 when none): a live alert above it is new. */
export function newestId(alerts: readonly Pick<Alert, 'id'>[]): number {
  return alerts.reduce((m, a) => Math.max(m, a.id), 0);
}

/**
 * A replay alert in one line: the two checkpoints, then the distance, minutes and speed (or "at
 * the same time"), e.g. `Chốt HN-01 → Chốt SG-01 · 1.140 km trong 10 phút (≈ 6.840 km/h)`.
 */
export function replaySummary(r: NonNullable<Alert['replay']>, lang: Lang): string {
  const n = (v: number): string => Math.round(v).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
  const km = n(r.distanceKm);
  const how =
    r.speedKmh === null
      ? t('replaySameTime', { km })
      : t('replaySpeed', {
          km,
          minutes: Math.round((r.later.at - r.earlier.at) / 60_000),
          speed: n(r.speedKmh),
        });
  return `${r.earlier.checkpointName} → ${r.later.checkpointName} · ${how}`;
}

/**
 * A `gate_red` alert's reds in words, with the lane's red count since it started. When the new
 * reds are all of them (the lane's first report to the centre, e.g. a lane that kept running
 * through a server upgrade, or its first since a restart) it says so without the number twice:
 * "4 new reds (since the lane started)".
 */
export function gateRedsSummary(g: Pick<NonNullable<Alert['gate']>, 'reds' | 'redsTotal'>): string {
  const n = g.reds ?? 0;
  const total = g.redsTotal ?? 0;
  return n >= total ? t('gateRedsSinceStart', { n }) : t('gateRedsText', { n, total });
}

/**
 * How often a `gate_fault` came back soon after clearing (each return reopened the alert), in
 * words ("lặp lại N lần"); null when it never did.
 */
export function gateFlapsText(g: Pick<NonNullable<Alert['gate']>, 'flaps'>): string | null {
  const n = g.flaps ?? 0;
  if (n <= 0) return null;
  return n === 1 ? t('gateFlapsOnce') : t('gateFlaps', { n });
}

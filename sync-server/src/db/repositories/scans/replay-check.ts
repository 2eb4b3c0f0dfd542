import type { PassPassage, ReplayDetails } from '@checkpoint-lane/shared';

/** The fastest a traveller is believed to move between checkpoints, km/h (issue 16). */
export const REPLAY_MAX_KMH = 120;

/**
 * The longest a lane pass can be valid (65,535 minutes) plus a day: passages of one pass further
 * apart than this are never compared (it bounds the query's time range).
 */
export const PASS_SPAN_MS = (65_535 + 24 * 60) * 60_000;

/** A stored passage of a pass at a checkpoint with a location, as the ingest's query reads it. */
export interface LocatedPassage extends PassPassage {
  readonly passId: string;
  readonly lat: number;
  readonly lon: number;
}

/** Mean Earth radius, km (IUGG). */
const EARTH_KM = 6371.0088;

/** Great-circle (haversine) distance between two points in degrees, km. */
export function greatCircleKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const passage = (p: LocatedPassage): PassPassage => ({
  scanId: p.scanId,
  checkpointId: p.checkpointId,
  checkpointName: p.checkpointName,
  kioskId: p.kioskId,
  kioskName: p.kioskName,
  at: p.at,
});

/** Lane-time order, then scan id (a total order, the same on every server). */
const byTime = (a: LocatedPassage, b: LocatedPassage): number =>
  a.at - b.at || (a.scanId < b.scanId ? -1 : a.scanId > b.scanId ? 1 : 0);

/**
 * The replays new passages make: for each passage in `fresh` (scan ids this upload stored), its
 * pass's previous and next passages at another checkpoint (among `passages`: every located
 * passage of the passes concerned, the fresh ones included); a pair whose checkpoints are farther
 * apart than `maxKmh` allows in the time between (any distance at the same instant) is a replay.
 * Each pair once, as (earlier, later) by lane time. Passages at one checkpoint are never compared.
 */
export function findReplays(
  fresh: ReadonlySet<string>,
  passages: readonly LocatedPassage[],
  maxKmh = REPLAY_MAX_KMH,
): ReplayDetails[] {
  const byPass = new Map<string, LocatedPassage[]>();
  for (const p of passages) {
    const list = byPass.get(p.passId);
    if (list) list.push(p);
    else byPass.set(p.passId, [p]);
  }
  const out = new Map<string, ReplayDetails>();
  const consider = (earlier: LocatedPassage, later: LocatedPassage): void => {
    const key = `${earlier.scanId}/${later.scanId}`;
    if (out.has(key)) return;
    const distanceKm = greatCircleKm(earlier, later);
    const hours = (later.at - earlier.at) / 3_600_000;
    const speedKmh = hours > 0 ? distanceKm / hours : null;
    const replay = speedKmh === null ? distanceKm > 0 : speedKmh > maxKmh;
    if (replay) out.set(key, { earlier: passage(earlier), later: passage(later), distanceKm, speedKmh });
  };
  for (const list of byPass.values()) {
    if (list.length < 2) continue;
    list.sort(byTime);
    list.forEach((p, i) => {
      if (!fresh.has(p.scanId)) return;
      for (let j = i - 1; j >= 0; j--) {
        const q = list[j];
        if (q !== undefined && q.checkpointId !== p.checkpointId) {
          consider(q, p);
          break;
        }
      }
      for (let j = i + 1; j < list.length; j++) {
        const q = list[j];
        if (q !== undefined && q.checkpointId !== p.checkpointId) {
          consider(p, q);
          break;
        }
      }
    });
  }
  return [...out.values()];
}

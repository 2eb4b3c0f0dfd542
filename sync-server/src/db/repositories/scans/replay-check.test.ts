import { describe, expect, it } from 'vitest';
import { findReplays, greatCircleKm, type LocatedPassage } from './replay-check.js';

const HANOI = { lat: 21.0285, lon: 105.8542 };
const SAIGON = { lat: 10.7769, lon: 106.7009 };
const MIN = 60_000;

let n = 0;
const at = (
  checkpointId: string,
  where: { lat: number; lon: number },
  t: number,
  passId = 'p',
): LocatedPassage => ({
  scanId: `s${String(++n)}`,
  passId,
  checkpointId,
  checkpointName: checkpointId,
  kioskId: `k-${checkpointId}`,
  kioskName: checkpointId,
  at: t,
  ...where,
});

describe('replay check', () => {
  it('measures great-circle distances', () => {
    expect(greatCircleKm(HANOI, HANOI)).toBe(0);
    // Hà Nội – TP Hồ Chí Minh: about 1,140 km as the crow flies.
    expect(greatCircleKm(HANOI, SAIGON)).toBeGreaterThan(1130);
    expect(greatCircleKm(HANOI, SAIGON)).toBeLessThan(1150);
    // One degree of latitude: about 111 km.
    expect(greatCircleKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(111.2, 0);
  });

  it('pairs a new passage with its previous and next passages at other checkpoints, once per pair', () => {
    const a = at('HN', HANOI, 0);
    const b = at('HN', HANOI, 5 * MIN);
    const c = at('SG', SAIGON, 10 * MIN);
    const d = at('HN', HANOI, 20 * MIN);
    const pairs = findReplays(new Set([c.scanId, d.scanId]), [d, c, b, a]);
    // c's previous at another checkpoint is b (not a); its next is d; d's previous is c (the same pair).
    expect(pairs.map((p) => [p.earlier.scanId, p.later.scanId])).toEqual([
      [b.scanId, c.scanId],
      [c.scanId, d.scanId],
    ]);
    expect(pairs[0]!.speedKmh).toBeGreaterThan(6000);
  });

  it('lets a slow pair, one checkpoint twice and other passes be', () => {
    const near = { lat: HANOI.lat + 0.9, lon: HANOI.lon }; // ~100 km
    const a = at('HN', HANOI, 0);
    const b = at('NEAR', near, 60 * MIN); // 100 km/h
    const c = at('HN', HANOI, 61 * MIN, 'q');
    const d = at('HN', HANOI, 62 * MIN, 'q');
    expect(findReplays(new Set([b.scanId, d.scanId]), [a, b, c, d])).toEqual([]);
    // The same 100 km in 45 minutes: about 133 km/h, a replay.
    const e = at('NEAR', near, 45 * MIN);
    expect(findReplays(new Set([e.scanId]), [a, e])).toHaveLength(1);
    // Two checkpoints at the same instant: any distance is a replay.
    const f = at('SG', SAIGON, 0);
    expect(findReplays(new Set([f.scanId]), [a, f])[0]?.speedKmh).toBeNull();
  });
});

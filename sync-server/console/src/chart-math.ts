// Pure chart arithmetic: hourly buckets over the range, per-checkpoint and per-decision sums,
// and "nice" axis scales, so the SVG components only draw.
import type { Decision, StatsPoint } from './types.js';

/** One time bucket: its start and the counts in it. */
export interface Bucket {
  start: number;
  byCheckpoint: Record<string, number>;
  green: number;
  amber: number;
  red: number;
  total: number;
}

/**
 * Buckets of `bucketMs` from `from` (floored to a bucket) up to `to`, filled from the series;
 * points outside the range are dropped, several points in one bucket add up.
 */
export function bucketize(
  series: readonly StatsPoint[],
  from: number,
  to: number,
  bucketMs: number,
): Bucket[] {
  const size = bucketMs > 0 ? bucketMs : 3600_000;
  const first = Math.floor(from / size) * size;
  const count = Math.max(1, Math.min(24 * 31, Math.ceil((to - first) / size)));
  const buckets: Bucket[] = [];
  for (let i = 0; i < count; i++) {
    buckets.push({ start: first + i * size, byCheckpoint: {}, green: 0, amber: 0, red: 0, total: 0 });
  }
  for (const p of series) {
    const i = Math.floor((p.hour - first) / size);
    const b = buckets[i];
    if (!b) continue;
    const n = num(p.green) + num(p.amber) + num(p.red);
    b.green += num(p.green);
    b.amber += num(p.amber);
    b.red += num(p.red);
    b.total += n;
    b.byCheckpoint[p.checkpointId] = (b.byCheckpoint[p.checkpointId] ?? 0) + n;
  }
  return buckets;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/** The checkpoints in the series, most scans first. */
export function checkpointOrder(series: readonly StatsPoint[]): string[] {
  const totals = new Map<string, number>();
  for (const p of series)
    totals.set(p.checkpointId, (totals.get(p.checkpointId) ?? 0) + num(p.green) + num(p.amber) + num(p.red));
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([id]) => id);
}

/** Totals per decision over all buckets. */
export function decisionTotals(buckets: readonly Bucket[]): Record<Decision, number> {
  const t = { green: 0, amber: 0, red: 0 };
  for (const b of buckets) {
    t.green += b.green;
    t.amber += b.amber;
    t.red += b.red;
  }
  return t;
}

/** A round axis maximum at or above `max` (1, 2, 5 × 10^n) and its tick values from 0. */
export function niceScale(max: number, ticks = 4): { max: number; ticks: number[] } {
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const rough = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const step2 = Math.max(1, step);
  const top = Math.ceil(max / step2) * step2;
  const out: number[] = [];
  for (let v = 0; v <= top + step2 / 2; v += step2) out.push(v);
  return { max: top, ticks: out };
}

/** Which bucket indexes get an axis label, at most `max` of them evenly spread. */
export function labelIndexes(count: number, max: number): number[] {
  if (count <= 0) return [];
  const every = Math.max(1, Math.ceil(count / Math.max(1, max)));
  const out: number[] = [];
  for (let i = 0; i < count; i += every) out.push(i);
  return out;
}

/** A distinct, colour-blind-friendly hue for the n-th checkpoint series. */
export function seriesColour(n: number): string {
  const palette = ['#1f77b4', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#393b79'];
  return palette[n % palette.length] ?? '#1f77b4';
}

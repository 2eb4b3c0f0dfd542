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

/** Vietnam's offset from UTC: chart days and hours are Vietnam's. */
const VN_OFFSET_MS = 7 * 3600_000;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/** Which checkpoints get their own line, and which are summed into one "others" line. */
export interface SeriesPlan {
  shown: string[];
  others: string[];
}

/**
 * At most `max` lines: the busiest checkpoints (already ordered by volume) each get one, the
 * rest are summed into "others" (only when there are more than `max`).
 */
export function planSeries(order: readonly string[], max = 8): SeriesPlan {
  if (order.length <= max) return { shown: [...order], others: [] };
  return { shown: order.slice(0, max), others: order.slice(max) };
}

/** A bucket's scans at the given checkpoints together. */
export function sumOf(b: Bucket, ids: readonly string[]): number {
  let n = 0;
  for (const id of ids) n += b.byCheckpoint[id] ?? 0;
  return n;
}

/** Scans per checkpoint over the whole range. */
export function checkpointTotals(buckets: readonly Bucket[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of buckets) for (const [id, n] of Object.entries(b.byCheckpoint)) out[id] = (out[id] ?? 0) + n;
  return out;
}

/** One Vietnam day of the chart: the buckets it covers (`end` exclusive) and its midnight. */
export interface DaySpan {
  start: number;
  end: number;
  /** Epoch ms of the first bucket of the day in the range. */
  at: number;
}

/** The Vietnam days the buckets fall in, in order (the first and last may be partial). */
export function daySpans(buckets: readonly Bucket[]): DaySpan[] {
  const out: DaySpan[] = [];
  let day = Number.NaN;
  buckets.forEach((b, i) => {
    const d = Math.floor((b.start + VN_OFFSET_MS) / DAY_MS);
    const last = out.at(-1);
    if (d !== day || !last) {
      day = d;
      out.push({ start: i, end: i + 1, at: b.start });
    } else last.end = i + 1;
  });
  return out;
}

/** The buckets that start a Vietnam hour divisible by `every` (the 24-hour chart's labels). */
export function hourTicks(buckets: readonly Bucket[], every = 3): number[] {
  const out: number[] = [];
  buckets.forEach((b, i) => {
    const h = Math.floor((b.start + VN_OFFSET_MS) / HOUR_MS) % 24;
    if ((b.start + VN_OFFSET_MS) % HOUR_MS === 0 && h % every === 0) out.push(i);
  });
  return out;
}

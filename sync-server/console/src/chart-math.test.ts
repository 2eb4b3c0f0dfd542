import { describe, expect, it } from 'vitest';
import {
  bucketize,
  checkpointOrder,
  checkpointTotals,
  daySpans,
  decisionTotals,
  hourTicks,
  labelIndexes,
  niceScale,
  planSeries,
  sumOf,
} from './chart-math.js';
import { formatAxis, formatDay, formatHour } from './format.js';

const H = 3600_000;

describe('chart math', () => {
  it('puts points into hourly buckets over the whole range', () => {
    const from = 100 * H;
    const to = 124 * H;
    const series = [
      { checkpointId: 'A', hour: 100 * H, green: 3, amber: 1, red: 0 },
      { checkpointId: 'B', hour: 100 * H, green: 2, amber: 0, red: 1 },
      { checkpointId: 'A', hour: 123 * H, green: 0, amber: 0, red: 5 },
      { checkpointId: 'A', hour: 200 * H, green: 9, amber: 9, red: 9 }, // outside
    ];
    const b = bucketize(series, from, to, H);
    expect(b).toHaveLength(24);
    expect(b[0]).toMatchObject({ start: 100 * H, green: 5, amber: 1, red: 1, total: 7 });
    expect(b[0]?.byCheckpoint).toEqual({ A: 4, B: 3 });
    expect(b[23]).toMatchObject({ red: 5, total: 5 });
    expect(b[5]?.total).toBe(0);
    expect(decisionTotals(b)).toEqual({ green: 5, amber: 1, red: 6 });
  });

  it('has 168 buckets for 7 days and tolerates a bad bucket size', () => {
    expect(bucketize([], 0, 168 * H, H)).toHaveLength(168);
    expect(bucketize([], 0, 2 * H, 0)).toHaveLength(2);
  });

  it('orders checkpoints by scans', () => {
    const order = checkpointOrder([
      { checkpointId: 'B', hour: 0, green: 1, amber: 0, red: 0 },
      { checkpointId: 'A', hour: 0, green: 5, amber: 0, red: 0 },
      { checkpointId: 'C', hour: 0, green: 1, amber: 0, red: 0 },
    ]);
    expect(order).toEqual(['A', 'B', 'C']);
  });

  it('picks round axis scales', () => {
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(7)).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(95).max).toBe(100);
    expect(niceScale(1234).max).toBeGreaterThanOrEqual(1234);
    expect(niceScale(3).ticks.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('spreads axis labels', () => {
    expect(labelIndexes(24, 8)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(labelIndexes(5, 8)).toEqual([0, 1, 2, 3, 4]);
    expect(labelIndexes(0, 8)).toEqual([]);
  });

  it('draws the busiest 8 checkpoints and sums the rest into "others"', () => {
    const ids = Array.from({ length: 11 }, (_, i) => `CP-${i + 1}`);
    expect(planSeries(ids)).toEqual({ shown: ids.slice(0, 8), others: ids.slice(8) });
    expect(planSeries(ids.slice(0, 8))).toEqual({ shown: ids.slice(0, 8), others: [] });
    expect(planSeries([])).toEqual({ shown: [], others: [] });
    const series = ids.map((id, i) => ({ checkpointId: id, hour: 0, green: 20 - i, amber: 0, red: 1 }));
    const b = bucketize(series, 0, H, H);
    const order = checkpointOrder(series);
    expect(order.slice(0, 2)).toEqual(['CP-1', 'CP-2']);
    const plan = planSeries(order);
    // CP-9..CP-11 scanned 12+1, 11+1 and 10+1 times.
    expect(b[0] && sumOf(b[0], plan.others)).toBe(36);
    expect(checkpointTotals(b)).toMatchObject({ 'CP-1': 21, 'CP-11': 11 });
  });

  it('labels the 7-day chart once per Vietnam day, the 24-hour one every 3 Vietnam hours', () => {
    // 7 days ending at 06:00 on 25/11 in Vietnam (23:00 UTC on 24/11).
    const to = Date.UTC(2026, 10, 24, 23);
    const week = bucketize([], to - 168 * H, to, H);
    const days = daySpans(week);
    expect(days).toHaveLength(8);
    expect(days[0]).toMatchObject({ start: 0, end: 18 }); // 06:00–24:00 on 18/11
    expect(days[1]).toMatchObject({ start: 18, end: 42 });
    expect(days.at(-1)).toMatchObject({ start: 162, end: 168 });
    expect(days.slice(1, 3).map((d) => formatDay(d.at, 'vi'))).toEqual(['19/11', '20/11']);
    expect(formatAxis(days[1]?.at ?? 0, 'en', true)).toBe('19/11');
    const day = bucketize([], to - 24 * H, to, H);
    const ticks = hourTicks(day, 3);
    expect(ticks).toHaveLength(8);
    expect(ticks.map((i) => formatAxis(day[i]?.start ?? 0, 'vi', false))).toEqual([
      '06:00',
      '09:00',
      '12:00',
      '15:00',
      '18:00',
      '21:00',
      '00:00',
      '03:00',
    ]);
  });

  it('names an hour as day and time for the hover titles', () => {
    expect(formatHour(Date.UTC(2026, 10, 24, 7), 'vi')).toBe('24/11 14:00');
    expect(formatHour(Date.UTC(2026, 10, 23, 17), 'en')).toBe('24/11 00:00');
  });
});

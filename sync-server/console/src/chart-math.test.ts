import { describe, expect, it } from 'vitest';
import { bucketize, checkpointOrder, decisionTotals, labelIndexes, niceScale } from './chart-math.js';

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
});

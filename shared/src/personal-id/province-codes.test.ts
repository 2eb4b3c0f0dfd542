import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from './province-codes.js';

describe('PROVINCE_CODES', () => {
  it('matches shared/data/vn-province-codes.csv (run scripts/generate-province-codes.mjs after editing it)', () => {
    const csv = readFileSync(new URL('../../data/vn-province-codes.csv', import.meta.url), 'utf8');
    const rows = csv
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(/,(.*)/s).slice(0, 2));
    expect([...PROVINCE_CODES.entries()]).toEqual(rows);
    expect(PROVINCE_CODES.size).toBe(63);
  });
});

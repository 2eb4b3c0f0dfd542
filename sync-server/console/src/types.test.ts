import {
  DECISIONS as DOMAIN_DECISIONS,
  HEALTH_STATUSES as DOMAIN_STATUSES,
  WHITELIST_CATEGORIES as DOMAIN_CATEGORIES,
} from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { DECISIONS, HEALTH_STATUSES, WHITELIST_CATEGORIES } from './types.js';

// types.ts, the console's one import point, hands out the shared vocabulary's lists (plain
// arrays: the console build leaves the shared package's TypeBox schemas out).
describe('console domain lists', () => {
  it('are the shared package lists', () => {
    expect(HEALTH_STATUSES).toEqual(DOMAIN_STATUSES);
    expect(WHITELIST_CATEGORIES).toEqual(DOMAIN_CATEGORIES);
  });

  it('has every decision colour once, in chart order', () => {
    expect([...DECISIONS].sort()).toEqual([...DOMAIN_DECISIONS].sort());
    expect(DECISIONS).toEqual(['green', 'amber', 'red']);
  });
});

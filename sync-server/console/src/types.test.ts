import {
  HEALTH_STATUSES as DOMAIN_STATUSES,
  WHITELIST_CATEGORIES as DOMAIN_CATEGORIES,
} from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { HEALTH_STATUSES, WHITELIST_CATEGORIES } from './types.js';

// The console keeps its own copies of these two lists: importing them from the shared package
// would bundle its TypeBox schemas too (≈ 80 KB more script). This keeps the copies honest.
describe('console domain lists', () => {
  it('are the shared package lists', () => {
    expect(HEALTH_STATUSES).toEqual(DOMAIN_STATUSES);
    expect(WHITELIST_CATEGORIES).toEqual(DOMAIN_CATEGORIES);
  });
});

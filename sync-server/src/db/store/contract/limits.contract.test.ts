import { createHash } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import { AuthFailureLimiter } from '../../../auth/auth-hooks.js';
import { HttpError } from '../../../http-error.js';
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { PgLimitsStore } from '../../pg/stores/pg-limits.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import type { LimitsStore } from '../limits-store.js';
import { openSqliteStore } from '../sqlite-store.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 });

/** The limits store over `d`, as a server opens it. */
function limitsOf(d: EngineDb): LimitsStore {
  if (d.engine === 'sqlite')
    return openSqliteStore(d.db, { indexKey: Buffer.alloc(32, 7), clock: () => 0 }).limits;
  return new PgLimitsStore(d.pool);
}

/**
 * The limits store as a second server opens it: on PostgreSQL over a second pool on the same
 * database; on SQLite over the same connection (one process owns the file).
 */
async function secondLimits(d: EngineDb): Promise<{ limits: LimitsStore; close: () => Promise<void> }> {
  if (d.engine === 'sqlite') return { limits: limitsOf(d), close: () => Promise.resolve() };
  const url = (d.pool as PgPool & { options: { connectionString: string } }).options.connectionString;
  const pool = await openPg({ url, applicationName: 'checkpoint-server-2' });
  return { limits: new PgLimitsStore(pool), close: () => pool.end() };
}

describeEngines('LimitsStore', ({ engine, open }) => {
  it('counts hits in a fixed window from the first one, per bucket and key, and starts again after it', async () => {
    const limits = limitsOf(await open());
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(await limits.hit('rate:a', '10.0.0.1', 1_000, 100));
    expect(counts).toEqual([
      { count: 1, resetAt: 1_100 },
      { count: 2, resetAt: 1_100 },
      { count: 3, resetAt: 1_100 },
    ]);
    expect(await limits.hit('rate:a', '10.0.0.1', 1_099, 100)).toEqual({ count: 4, resetAt: 1_100 });
    expect(await limits.hit('rate:a', '10.0.0.2', 1_050, 100)).toEqual({ count: 1, resetAt: 1_150 });
    expect(await limits.hit('rate:b', '10.0.0.1', 1_050, 100)).toEqual({ count: 1, resetAt: 1_150 });
    // The window ended at 1100: the count starts again, in a new window.
    expect(await limits.hit('rate:a', '10.0.0.1', 1_100, 100)).toEqual({ count: 1, resetAt: 1_200 });
    expect(await limits.hit('rate:a', '10.0.0.1', 1_150, 100)).toEqual({ count: 2, resetAt: 1_200 });
  });

  it('locks a key until a time, keeps the later of two locks, and zeroes its count', async () => {
    const limits = limitsOf(await open());
    expect(await limits.lockedUntil('login-unknown', 'ghost', 0)).toBeNull();
    await limits.hit('login-unknown', 'ghost', 0, 10_000);
    await limits.hit('login-unknown', 'ghost', 0, 10_000);
    await limits.lock('login-unknown', 'ghost', 500);
    expect(await limits.lockedUntil('login-unknown', 'ghost', 499)).toBe(500);
    expect(await limits.lockedUntil('login-unknown', 'ghost', 500)).toBeNull();
    expect(await limits.lockedUntil('login-unknown', 'other', 0)).toBeNull();
    expect(await limits.lockedUntil('rate:a', 'ghost', 0)).toBeNull();
    await limits.lock('login-unknown', 'ghost', 300);
    expect(await limits.lockedUntil('login-unknown', 'ghost', 400)).toBe(500);
    // Same window (to 10 000), count zeroed by the lock.
    expect(await limits.hit('login-unknown', 'ghost', 600, 10_000)).toEqual({ count: 1, resetAt: 10_000 });
    // A lock on a key never hit: its first hit opens a window.
    await limits.lock('login-unknown', 'fresh', 700);
    expect(await limits.hit('login-unknown', 'fresh', 600, 50)).toEqual({ count: 1, resetAt: 650 });
    expect(await limits.lockedUntil('login-unknown', 'fresh', 650)).toBe(700);
  });

  it('sweeps counters once their window and their lock have both ended', async () => {
    const limits = limitsOf(await open());
    await limits.hit('rate:a', 'short', 0, 100);
    await limits.hit('rate:a', 'long', 0, 1_000);
    await limits.hit('login-unknown', 'locked', 0, 100);
    await limits.lock('login-unknown', 'locked', 2_000);
    expect(await limits.sweep(99)).toBe(0);
    expect(await limits.sweep(100)).toBe(1);
    // Swept: a new window, not the old count.
    expect(await limits.hit('rate:a', 'short', 150, 100)).toEqual({ count: 1, resetAt: 250 });
    expect(await limits.sweep(1_000)).toBe(2);
    expect(await limits.lockedUntil('login-unknown', 'locked', 1_000)).toBe(2_000);
    expect(await limits.sweep(2_000)).toBe(1);
    expect(await limits.lockedUntil('login-unknown', 'locked', 1_999)).toBeNull();
    expect(await limits.sweep(10_000)).toBe(0);
  });

  it('counts exactly when two servers hit one key at once', async () => {
    const d = await open();
    const a = limitsOf(d);
    const second = await secondLimits(d);
    try {
      const hits = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? a : second.limits).hit('rate:POST /api/v1/session', '203.0.113.9', 5_000, 60_000),
        ),
      );
      // Every hit got its own count: 1 to 200, each once, all in one window.
      expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      expect(new Set(hits.map((h) => h.resetAt))).toEqual(new Set([65_000]));
      expect(await second.limits.hit('rate:POST /api/v1/session', '203.0.113.9', 5_000, 60_000)).toEqual({
        count: 201,
        resetAt: 65_000,
      });
    } finally {
      await second.close();
    }
  });

  it('one failed-authentication budget per address across the servers (AuthFailureLimiter)', async () => {
    const d = await open();
    const second = await secondLimits(d);
    try {
      let now = 10_000;
      const a = new AuthFailureLimiter(limitsOf(d), 'auth-session', () => now, 3);
      const b = new AuthFailureLimiter(second.limits, 'auth-session', () => now, 3);
      const bad = new HttpError(401, 'unauthorized', 'bad');
      // Failures spread over two servers count together: the third locks the address on both.
      expect((await a.refuse('10.0.0.1', bad)).statusCode).toBe(401);
      expect((await b.refuse('10.0.0.1', bad)).statusCode).toBe(401);
      await a.check('10.0.0.1');
      expect((await b.refuse('10.0.0.1', bad)).statusCode).toBe(401);
      await expect(a.check('10.0.0.1')).rejects.toMatchObject({ statusCode: 429 });
      await expect(b.check('10.0.0.1')).rejects.toMatchObject({ statusCode: 429 });
      expect((await a.refuse('10.0.0.1', bad)).statusCode).toBe(429);
      // Another address and another bucket keep their own budgets.
      await a.check('10.0.0.2');
      await new AuthFailureLimiter(limitsOf(d), 'auth-kiosk', () => now, 3).check('10.0.0.1');
      // The minute over, the address may try again.
      now += 60_000;
      await b.check('10.0.0.1');
      expect((await b.refuse('10.0.0.1', bad)).statusCode).toBe(401);
    } finally {
      await second.close();
    }
  });

  if (engine === 'postgres') {
    it('stores keys as their SHA-256, never the username or address itself', async () => {
      const d = await open();
      if (d.engine !== 'postgres') throw new Error('postgres only');
      const limits = limitsOf(d);
      await limits.hit('login-unknown', 'lan.nguyen', 0, 1_000);
      await limits.lock('rate:a', '198.51.100.7', 500);
      const rows = (
        await d.pool.query<{ bucket: string; key_hash: Buffer }>(
          'SELECT bucket, key_hash FROM limit_counters ORDER BY bucket',
        )
      ).rows;
      const sha = (s: string): Buffer => createHash('sha256').update(s).digest();
      expect(rows).toEqual([
        { bucket: 'login-unknown', key_hash: sha('lan.nguyen') },
        { bucket: 'rate:a', key_hash: sha('198.51.100.7') },
      ]);
      const text = JSON.stringify(rows.map((r) => r.key_hash.toString('latin1')));
      expect(text).not.toContain('lan.nguyen');
      expect(text).not.toContain('198.51.100.7');
    });
  }
});

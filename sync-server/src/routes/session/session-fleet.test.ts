// Sign-in limits in fleet mode: two servers (two Fastify apps, each with its own pool and store)
// on one PostgreSQL database count a username's failures and an address's attempts together.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import { buildFleet, type Fleet } from '../../testing/pg-fleet.testkit.js';
import type { App } from '../schemas.js';

// Password hashing and two databases' worth of connections: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const skip = await pgUnavailable();

const NOW = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;

let fleet: Fleet | undefined;
afterEach(async () => {
  const f = fleet;
  fleet = undefined;
  await f?.close();
});

const signIn = (app: App, username: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });

describe.skipIf(skip !== null)('sign-in limits across two servers on one PostgreSQL database', () => {
  it('locks a username with no account after five failures spread over both servers, exactly like a real one', async () => {
    fleet = await buildFleet({ clock: () => NOW });
    const { a, b } = fleet;
    const created = await a.inject({
      method: 'POST',
      url: '/api/v1/admin/accounts',
      headers: fleet.admin,
      payload: { username: 'lan', displayName: 'Lan', role: 'admin', password: 'correct horse battery' },
    });
    expect(created.statusCode).toBe(201);

    const answers = async (username: string): Promise<number[]> => {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++)
        codes.push((await signIn(i % 2 === 0 ? a : b, username, 'wrong guess')).statusCode);
      return codes;
    };
    // Three failures on server A and two on B: the fifth locks, whichever server counts it.
    expect(await answers('lan')).toEqual([401, 401, 401, 401, 423]);
    expect(await answers('ghost')).toEqual([401, 401, 401, 401, 423]);
    const locked = [
      await signIn(a, 'ghost', 'x'),
      await signIn(b, 'ghost', 'x'),
      await signIn(b, 'lan', 'x'),
    ];
    expect(locked.map((r) => r.statusCode)).toEqual([423, 423, 423]);
    const until = new Date(NOW + 15 * MIN).toISOString();
    for (const r of locked) expect(r.json<{ message: string }>().message).toContain(until);
    // Another unknown name is not touched by the lock.
    expect((await signIn(b, 'other', 'x')).statusCode).toBe(401);
  });

  it("counts an address's sign-in attempts on both servers together (429 past the limit)", async () => {
    fleet = await buildFleet({ clock: () => NOW, loginRateLimit: 3 });
    const { a, b } = fleet;
    // Bodies the schema refuses (400): the limit is counted before the handler runs.
    const post = (app: App) => app.inject({ method: 'POST', url: '/api/v1/session', payload: {} });
    const codes = [];
    for (const app of [a, b, a, b, a]) codes.push((await post(app)).statusCode);
    expect(codes).toEqual([400, 400, 400, 429, 429]);
    const limited = await post(b);
    expect(limited.json()).toMatchObject({ error: 'rate_limited' });
    expect(limited.headers['x-ratelimit-limit']).toBe('3');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address has its own budget.
    const elsewhere = await a.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: {},
      remoteAddress: '198.51.100.20',
    });
    expect(elsewhere.statusCode).toBe(400);
  });

  it("counts an address's enrollment attempts on both servers together", async () => {
    fleet = await buildFleet({ clock: () => NOW, enrollRateLimit: 2 });
    const { a, b } = fleet;
    const enroll = (app: App) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/enroll',
        payload: { code: 'ABCD-EFGH', name: 'Lane 1' },
      });
    const codes = [];
    for (const app of [a, b, a]) codes.push((await enroll(app)).statusCode);
    expect(codes).toEqual([403, 403, 429]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  signIn,
  type TestApp,
} from '../testing/build-test-app.js';
import { MemoryLimitsStore } from '../db/store/limits-store.js';
import { HttpError } from '../http-error.js';
import { AuthFailureLimiter } from './auth-hooks.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const checkpoint = { id: 'CP-1', name: 'Checkpoint 1', mode: 'open' };
const post = (headers: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: '/api/v1/admin/checkpoints', headers, payload: checkpoint });
const get = (headers: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers });
const errorOf = (res: { body: string }) => (JSON.parse(res.body) as { error: string }).error;

describe('admin auth: bearer token or session cookie', () => {
  it('keeps the bearer token working and acting as token@<address>', async () => {
    t = await buildTestApp();
    expect((await post(t.admin)).statusCode).toBe(201);
    expect(await t.app.services.audit.list({ limit: 5, action: 'checkpoint.create' })).toMatchObject([
      { actor: 'token@127.0.0.1' },
    ]);
    expect(errorOf(await get({}))).toBe('unauthorized');
    expect((await get({ authorization: 'Bearer not-the-token' })).statusCode).toBe(401);
    expect((await get({ cookie: 'cl_session=forged-session-token-forged' })).statusCode).toBe(401);
  });

  it('lets a signed-in admin change things with the CSRF token, audited under the username', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    expect((await get(s.cookie)).statusCode).toBe(200);
    const res = await post({ ...s.write, origin: 'http://localhost:80' });
    expect(res.statusCode).toBe(201);
    expect(await t.app.services.audit.list({ limit: 5, action: 'checkpoint.create' })).toMatchObject([
      { actor: 'lan', target: 'CP-1' },
    ]);
  });

  it('refuses cookie changes without or with a wrong CSRF token, or from a foreign origin', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    const other = await signIn(t, 'lan');
    const missing = await post(s.cookie);
    expect(missing.statusCode).toBe(403);
    expect(errorOf(missing)).toBe('csrf');
    const wrong = await post({ ...s.cookie, 'x-csrf-token': other.csrfToken });
    expect(wrong.statusCode).toBe(403);
    expect(errorOf(wrong)).toBe('csrf');
    const foreign = await post({ ...s.write, origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(errorOf(foreign)).toBe('bad_origin');
    const otherPort = await post({ ...s.write, origin: 'http://localhost:8080' });
    expect(errorOf(otherPort)).toBe('bad_origin');
    expect(await t.app.services.checkpoints.list()).toEqual([]);
  });

  it('lets viewers look but not change anything, nor see accounts', async () => {
    t = await buildTestApp();
    await addAccount(t, 'xem', 'viewer');
    const s = await signIn(t, 'xem');
    expect((await get(s.cookie)).statusCode).toBe(200);
    const change = await post(s.write);
    expect(change.statusCode).toBe(403);
    expect(change.json()).toEqual({
      error: 'forbidden_role',
      message: 'viewers may only look; ask an admin for this change',
    });
    const accounts = await t.app.inject({ method: 'GET', url: '/api/v1/admin/accounts', headers: s.cookie });
    expect(accounts.statusCode).toBe(403);
    expect(errorOf(accounts)).toBe('forbidden_role');
  });

  it('documents the session cookie in /openapi.json', async () => {
    t = await buildTestApp();
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, unknown>;
    }>();
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ in: 'cookie', name: 'cl_session' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/session',
        '/api/v1/session/password',
        '/api/v1/admin/accounts',
        '/api/v1/admin/accounts/{username}',
      ]),
    );
  });
});

describe('failure limiter: throttles failures, never valid credentials', () => {
  const flood = async (url: string, times: number): Promise<Set<number>> => {
    const seen = new Set<number>();
    for (let i = 0; i < times; i++) {
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer bad-${i}` } });
      seen.add(res.statusCode);
    }
    return seen;
  };

  it('lets a valid kiosk token through after 31 bad ones from the same address', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'CP');
    const lane = await enrollKiosk(t, 'CP');
    expect([...(await flood('/api/v1/kiosk/officers', 31))]).toEqual([401, 429]);
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: lane.auth });
    expect(ok.statusCode).toBe(200);
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: lane.auth,
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: 0 },
    });
    expect(upload.statusCode).toBe(200);
    // The garbage is still cut off.
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/kiosk/officers',
      headers: { authorization: 'Bearer still-bad' },
    });
    expect(bad.statusCode).toBe(429);
  });

  it('lets the admin token and a console session through after 31 bad tokens from the same address', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    expect([...(await flood('/api/v1/admin/kiosks', 31))]).toEqual([401, 429]);
    expect((await get(t.admin)).statusCode).toBe(200);
    expect((await get(s.cookie)).statusCode).toBe(200);
    expect((await post(s.write)).statusCode).toBe(201);
    expect((await get({ authorization: 'Bearer still-bad' })).statusCode).toBe(429);
    expect((await get({ cookie: 'cl_session=forged-session-token-forged' })).statusCode).toBe(429);
  });

  it('lets a console user sign in after 31 bad admin tokens from the same address', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    expect([...(await flood('/api/v1/admin/kiosks', 31))]).toEqual([401, 429]);
    const s = await signIn(t, 'lan');
    expect((await get(s.cookie)).statusCode).toBe(200);
  });
});

describe('AuthFailureLimiter', () => {
  it('cuts an address off after its failures in a minute, other addresses and buckets untouched', async () => {
    let now = 0;
    const limits = new MemoryLimitsStore();
    const limiter = new AuthFailureLimiter(limits, 'auth-kiosk', () => now, 3);
    const bad = new HttpError(401, 'unauthorized', 'bad');
    for (let i = 0; i < 3; i++) await limiter.fail('10.0.0.1');
    await expect(limiter.check('10.0.0.1')).rejects.toThrow(/too many failed/);
    expect((await limiter.refuse('10.0.0.1', bad)).statusCode).toBe(429);
    expect((await limiter.refuse('10.0.0.2', bad)).statusCode).toBe(401);
    await limiter.check('10.0.0.2');
    await new AuthFailureLimiter(limits, 'auth-admin', () => now, 3).check('10.0.0.1');
    now += 60_000;
    await limiter.check('10.0.0.1');
  });
});

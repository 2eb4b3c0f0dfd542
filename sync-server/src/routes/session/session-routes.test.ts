import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointServer } from '../../app.js';
import { hashPassword } from '../../auth/passwords.js';
import { hashToken } from '../../auth/tokens.js';
import { openDatabase } from '../../db/open-database.js';
import type { AuditRecord } from '../../db/repositories/audit-repository.js';
import {
  addAccount,
  buildTestApp,
  signIn,
  TEST_PASSWORD,
  type TestApp,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

let now = Date.UTC(2021, 8, 18, 8, 0, 0);
const clock = () => now;
const MIN = 60_000;

const login = (username: string, password: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, headers });
const whoAmI = (headers: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: '/api/v1/session', headers });
/** Whether `GET /api/v1/session` sees a live session (it answers 200 either way). */
const signedInWith = async (headers: Record<string, string>): Promise<boolean> => {
  const res = await whoAmI(headers);
  expect(res.statusCode).toBe(200);
  return res.json<{ signedIn: boolean }>().signedIn;
};
const adminGet = (headers: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers });
const audit = async (action: string): Promise<AuditRecord[]> =>
  (await t.app.services.audit.list({ limit: 100, action })).reverse();

describe('POST /api/v1/session', () => {
  it('signs in: account, CSRF token and expiry; an HttpOnly SameSite=Strict cookie whose hash alone is stored', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock });
    await addAccount(t, 'Lan.Nguyen', 'admin', TEST_PASSWORD, 'Nguyễn Thị Lan');
    const res = await login('LAN.nguyen', TEST_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ account: unknown; csrfToken: string; expiresAt: string }>();
    expect(body).toEqual({
      signedIn: true,
      account: { username: 'lan.nguyen', displayName: 'Nguyễn Thị Lan', role: 'admin' },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
      expiresAt: new Date(now + 30 * MIN).toISOString(),
    });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^cl_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toMatch(/Secure/);
    const token = res.cookies[0]?.value ?? '';
    const rows = t.db.prepare('SELECT token_hash, csrf_token FROM admin_sessions').all();
    expect(rows).toEqual([
      { token_hash: createHash('sha256').update(token).digest('hex'), csrf_token: body.csrfToken },
    ]);
    const me = await whoAmI({ cookie: `cl_session=${token}` });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(body);
    expect((await t.app.services.accounts.get('lan.nguyen'))?.lastLoginAt).toBe(now);
    expect(await audit('session.login')).toMatchObject([
      { actor: 'lan.nguyen', target: 'lan.nguyen', details: { ip: '127.0.0.1' } },
    ]);
  });

  it('sets Secure only when the request came over HTTPS', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    // Without trustProxy a forwarded header is ignored: plain HTTP, no Secure flag.
    const plain = await login('lan', TEST_PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(String(plain.headers['set-cookie'])).not.toMatch(/Secure/);
    const db = openDatabase(join(t.dir, 'https.db'));
    const app = Fastify({ trustProxy: true });
    try {
      await app.register(checkpointServer, { db, adminTokenHash: hashToken('x'), listKey: t.listKey });
      const passwordHash = await hashPassword(TEST_PASSWORD);
      await app.services.accounts.create(
        { username: 'lan', displayName: 'Lan', role: 'admin', passwordHash },
        0,
      );
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { username: 'lan', password: TEST_PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    } finally {
      await app.close();
      db.close();
    }
  });

  it('answers a wrong password and an unknown username alike, auditing the username only if it exists', async () => {
    t = await buildTestApp({ clock });
    await addAccount(t, 'lan');
    const wrong = await login('lan', 'not the password');
    const unknown = await login('nobody', 'not the password');
    const invalid = await login('no such user!', 'not the password');
    for (const r of [wrong, unknown, invalid]) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ error: 'bad_credentials', message: 'wrong username or password' });
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(await audit('session.login_failed')).toMatchObject([
      { actor: 'anonymous@127.0.0.1', target: 'lan', details: { reason: 'bad_password' } },
      { actor: 'anonymous@127.0.0.1', target: null, details: { reason: 'unknown_user' } },
      { actor: 'anonymous@127.0.0.1', target: null, details: { reason: 'unknown_user' } },
    ]);
    const all = JSON.stringify(await t.app.services.audit.list({ limit: 100 }));
    expect(all).not.toContain('not the password');
    expect(all).not.toContain('nobody');
  });

  it('locks an account after 5 wrong passwords in a row for 15 minutes, then lets the right one in', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock });
    await addAccount(t, 'lan');
    // A good sign-in between failures resets the count.
    for (let i = 0; i < 4; i++) expect((await login('lan', 'wrong password')).statusCode).toBe(401);
    expect((await login('lan', TEST_PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login('lan', 'wrong password')).statusCode).toBe(401);
    const fifth = await login('lan', 'wrong password');
    expect(fifth.statusCode).toBe(423);
    const until = new Date(now + 15 * MIN).toISOString();
    expect(fifth.json()).toEqual({
      error: 'account_locked',
      message: `too many wrong passwords: this account is locked until ${until}`,
    });
    expect(await audit('session.locked')).toMatchObject([
      { target: 'lan', details: { until: now + 15 * MIN } },
    ]);
    now += 14 * MIN;
    const stillLocked = await login('lan', TEST_PASSWORD);
    expect(stillLocked.statusCode).toBe(423);
    expect(stillLocked.headers['set-cookie']).toBeUndefined();
    now += MIN;
    expect((await login('lan', TEST_PASSWORD)).statusCode).toBe(200);
    expect(await t.app.services.accounts.get('lan')).toMatchObject({ failedLogins: 0, lockedUntil: null });
  });

  it('checks parallel guesses one at a time: the lock holds even against the right password sent with them', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock });
    await addAccount(t, 'lan');
    // Five guesses and the right password, all in flight at once (the guard queues 5 a name).
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => login('lan', `wrong password ${i}`)),
      login('lan', 'wrong password 4'),
      login('lan', TEST_PASSWORD),
    ]);
    // Checked one by one: four wrong, the fifth locks; the sixth is past the queue (429). The
    // right password never gets in.
    expect(answers.map((r) => r.statusCode).sort()).toEqual([401, 401, 401, 401, 423, 429]);
    expect((await t.app.services.accounts.get('lan'))?.lockedUntil).toBe(now + 15 * MIN);
    const flood = await Promise.all(Array.from({ length: 8 }, () => login('lan', 'wrong password')));
    // Locked (or past the queue): refused without checking the password.
    expect(flood.every((r) => r.statusCode === 423 || r.statusCode === 429)).toBe(true);
  });

  it('locks a username that has no account exactly like a real one', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock });
    await addAccount(t, 'lan');
    const codes = async (username: string) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push((await login(username, 'wrong password')).statusCode);
      return out;
    };
    expect(await codes('nobody')).toEqual([401, 401, 401, 401, 423, 423]);
    expect(await codes('lan')).toEqual([401, 401, 401, 401, 423, 423]);
    now += 15 * MIN;
    expect((await login('nobody', 'wrong password')).statusCode).toBe(401);
  });

  it('refuses a disabled account with the same 401', async () => {
    t = await buildTestApp({ clock });
    await addAccount(t, 'lan');
    await addAccount(t, 'minh');
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/admin/accounts/minh',
      headers: t.admin,
      payload: { disabled: true },
    });
    expect(patch.statusCode).toBe(200);
    const res = await login('minh', TEST_PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'bad_credentials', message: 'wrong username or password' });
    expect(await audit('session.login_failed')).toMatchObject([
      { target: 'minh', details: { reason: 'disabled' } },
    ]);
  });

  it('refuses a sign-in posted from a foreign origin, and rate-limits sign-ins per address', async () => {
    t = await buildTestApp({ loginRateLimit: 3 });
    await addAccount(t, 'lan');
    const foreign = await login('lan', TEST_PASSWORD, { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json<{ error: string }>().error).toBe('bad_origin');
    expect((await login('lan', TEST_PASSWORD, { origin: 'http://localhost:80' })).statusCode).toBe(200);
    expect((await login('lan', TEST_PASSWORD)).statusCode).toBe(200);
    const limited = await login('lan', TEST_PASSWORD);
    expect(limited.statusCode).toBe(429);
    expect(limited.json<{ error: string }>().error).toBe('rate_limited');
  });
});

describe('behind a TLS-terminating proxy', () => {
  const proxied = {
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'console.example.vn',
    origin: 'https://console.example.vn',
  };

  it('believes X-Forwarded-* from a trusted proxy: Secure cookie, the browser origin accepted', async () => {
    t = await buildTestApp({ trustProxy: '127.0.0.1' });
    await addAccount(t, 'lan');
    const res = await login('lan', TEST_PASSWORD, proxied);
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    expect(
      (await login('lan', TEST_PASSWORD, { ...proxied, origin: 'https://evil.example' })).statusCode,
    ).toBe(403);
  });

  it('ignores X-Forwarded-* when no proxy is trusted', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const res = await login('lan', TEST_PASSWORD, proxied);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: string }>().error).toBe('bad_origin');
  });
});

describe('GET /api/v1/session', () => {
  it("answers a console's first load (no session) with 200 {signedIn:false}, not an error; session routes still 401", async () => {
    t = await buildTestApp();
    const first = await whoAmI({});
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ signedIn: false });
    expect(first.headers['set-cookie']).toBeUndefined();
    // A cookie for no session: still a plain answer, and the dead cookie is cleared.
    const stale = await whoAmI({ cookie: 'cl_session=not-a-session' });
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toEqual({ signedIn: false });
    expect(String(stale.headers['set-cookie'])).toMatch(/^cl_session=; Max-Age=0; Path=\/; Expires=/);
    // Real auth failures keep their status.
    expect((await adminGet({})).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/session' })).statusCode).toBe(401);
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    await expect(signedInWith(s.cookie)).resolves.toBe(true);
  });
});

describe('session lifetime', () => {
  it('ends a session after the idle time, sliding with use', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock, sessionIdleMs: 10 * MIN, sessionAbsoluteMs: 60 * MIN });
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    now += 9 * MIN;
    expect((await adminGet(s.cookie)).statusCode).toBe(200);
    now += 9 * MIN; // 18 min after sign-in, 9 after the last use
    const me = await whoAmI(s.cookie);
    expect(me.statusCode).toBe(200);
    expect(me.json<{ expiresAt: string }>().expiresAt).toBe(new Date(now + 10 * MIN).toISOString());
    now += 10 * MIN;
    const idle = await adminGet(s.cookie);
    expect(idle.statusCode).toBe(401);
    expect(idle.json()).toEqual({ error: 'unauthorized', message: 'the session has ended; sign in again' });
    expect(t.db.prepare('SELECT count(*) AS n FROM admin_sessions').get()).toEqual({ n: 0 });
    const gone = await whoAmI(s.cookie);
    expect(gone.statusCode).toBe(200);
    expect(gone.json()).toEqual({ signedIn: false });
    expect(String(gone.headers['set-cookie'])).toMatch(/^cl_session=; Max-Age=0; Path=\/; Expires=/);
  });

  it('does not count background refreshes (X-Background: 1) as activity', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock, sessionIdleMs: 10 * MIN, sessionAbsoluteMs: 60 * MIN });
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    for (let i = 0; i < 3; i++) {
      now += 3 * MIN;
      expect((await adminGet({ ...s.cookie, 'x-background': '1' })).statusCode).toBe(200);
    }
    now += 2 * MIN; // 11 min after the last use by a person
    expect((await adminGet({ ...s.cookie, 'x-background': '1' })).statusCode).toBe(401);
  });

  it("closes a console's event stream when its session ends", async () => {
    t = await buildTestApp({ sseKeepAliveMs: 100 });
    await addAccount(t, 'lan');
    await addAccount(t, 'xem', 'viewer');
    const viewer = await signIn(t, 'xem');
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/api/v1/admin/events`, { headers: viewer.cookie });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/retry|hello/);
    // An admin disables the viewer: their requests fail at once, and the stream ends too.
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/admin/accounts/xem',
      headers: t.admin,
      payload: { disabled: true },
    });
    expect(patch.statusCode).toBe(200);
    let ended = false;
    const deadline = Date.now() + 5_000;
    while (!ended && Date.now() < deadline) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });

  it('ends a session at the absolute limit however busy it is', async () => {
    now = Date.UTC(2021, 8, 18, 8, 0, 0);
    t = await buildTestApp({ clock, sessionIdleMs: 10 * MIN, sessionAbsoluteMs: 60 * MIN });
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    for (let i = 0; i < 6; i++) {
      now += 9 * MIN;
      expect((await adminGet(s.cookie)).statusCode).toBe(200);
    }
    // 54 min in: the expiry is capped at the absolute end, not 10 min on.
    const me = await whoAmI(s.cookie);
    expect(me.json<{ expiresAt: string }>().expiresAt).toBe(new Date(now + 6 * MIN).toISOString());
    now += 6 * MIN;
    expect((await adminGet(s.cookie)).statusCode).toBe(401);
  });

  it('signs out with the CSRF token only, clears the cookie and ends the session', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const s = await signIn(t, 'lan');
    const noCsrf = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: s.cookie });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json<{ error: string }>().error).toBe('csrf');
    expect((await whoAmI(s.cookie)).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: s.write });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(
      /^cl_session=; Max-Age=0; Path=\/; Expires=.*HttpOnly; SameSite=Strict/,
    );
    await expect(signedInWith(s.cookie)).resolves.toBe(false);
    expect((await adminGet(s.cookie)).statusCode).toBe(401);
    expect(await audit('session.logout')).toMatchObject([{ actor: 'lan', target: 'lan' }]);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: s.write });
    expect(again.statusCode).toBe(401);
  });
});

describe('POST /api/v1/session/password', () => {
  it('changes the password with the current one, ending the account’s other sessions', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const here = await signIn(t, 'lan');
    const elsewhere = await signIn(t, 'lan');
    const change = (headers: Record<string, string>, currentPassword: string, newPassword: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        headers,
        payload: { currentPassword, newPassword },
      });
    expect((await change(here.cookie, TEST_PASSWORD, 'a brand new password')).statusCode).toBe(403);
    const wrong = await change(here.write, 'not my password', 'a brand new password');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json<{ error: string }>().error).toBe('bad_credentials');
    expect((await change(here.write, TEST_PASSWORD, 'too short')).statusCode).toBe(400);
    expect((await change({}, TEST_PASSWORD, 'a brand new password')).statusCode).toBe(401);
    expect((await whoAmI(elsewhere.cookie)).statusCode).toBe(200);

    expect((await change(here.write, TEST_PASSWORD, 'a brand new password')).statusCode).toBe(204);
    expect((await whoAmI(here.cookie)).statusCode).toBe(200);
    await expect(signedInWith(elsewhere.cookie)).resolves.toBe(false);
    expect((await login('lan', TEST_PASSWORD)).statusCode).toBe(401);
    expect((await login('lan', 'a brand new password')).statusCode).toBe(200);
    expect(await audit('session.password')).toMatchObject([
      { actor: 'lan', target: 'lan', details: { endedSessions: 1 } },
    ]);
    expect(JSON.stringify(await t.app.services.audit.list({ limit: 100 }))).not.toContain('brand new');
  });
});

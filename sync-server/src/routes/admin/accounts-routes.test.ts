import { afterEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  buildTestApp,
  signIn,
  TEST_PASSWORD,
  type TestApp,
  type TestSession,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const patch = (
  username: string,
  payload: Record<string, unknown>,
  headers: Record<string, string> = t.admin,
) => t.app.inject({ method: 'PATCH', url: `/api/v1/admin/accounts/${username}`, headers, payload });
const alive = async (s: TestSession) =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: s.cookie })).json<{
    signedIn: boolean;
  }>().signedIn;
const login = (username: string, password = TEST_PASSWORD) =>
  t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
const errorOf = (res: { body: string }) => (JSON.parse(res.body) as { error: string }).error;

describe('/api/v1/admin/accounts', () => {
  it('creates accounts (lowercase, unique in any case) and lists them without password hashes', async () => {
    t = await buildTestApp();
    const create = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/admin/accounts', headers: t.admin, payload });
    const res = await create({
      username: 'Lan.Nguyen',
      displayName: ' Lan ',
      role: 'admin',
      password: TEST_PASSWORD,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      username: 'lan.nguyen',
      displayName: 'Lan',
      role: 'admin',
      disabled: false,
    });
    const dup = await create({
      username: 'LAN.NGUYEN',
      displayName: 'x',
      role: 'viewer',
      password: TEST_PASSWORD,
    });
    expect(dup.statusCode).toBe(409);
    expect(errorOf(dup)).toBe('username_taken');
    for (const bad of [
      { username: 'ab', displayName: 'x', role: 'admin', password: TEST_PASSWORD },
      { username: 'lan nguyen', displayName: 'x', role: 'admin', password: TEST_PASSWORD },
      { username: 'minh', displayName: 'x', role: 'root', password: TEST_PASSWORD },
      { username: 'minh', displayName: 'x', role: 'admin', password: 'short' },
      { username: 'minh', displayName: '', role: 'admin', password: TEST_PASSWORD },
      { username: 'minh', displayName: '   ', role: 'admin', password: TEST_PASSWORD },
    ])
      expect((await create(bad)).statusCode).toBe(400);
    await addAccount(t, 'minh', 'viewer');
    const s = await signIn(t, 'lan.nguyen');
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/accounts', headers: s.cookie });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ accounts: { username: string; role: string }[] }>().accounts).toMatchObject([
      { username: 'lan.nguyen', role: 'admin', lastLoginAt: expect.any(Number) as unknown },
      { username: 'minh', role: 'viewer', lastLoginAt: null },
    ]);
    expect(list.body).not.toMatch(/scrypt|password/i);
    expect(
      (await t.app.services.audit.list({ limit: 10, action: 'account.create' })).reverse(),
    ).toMatchObject([
      { actor: 'token@127.0.0.1', target: 'lan.nguyen', details: { role: 'admin', displayName: 'Lan' } },
      { actor: 'token@127.0.0.1', target: 'minh' },
    ]);
  });

  it('ends an account’s sessions when its password, role or state changes, not its name', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    await addAccount(t, 'minh');
    const admin = await signIn(t, 'lan');
    let minh = await signIn(t, 'minh');

    const renamed = await patch('minh', { displayName: 'Trần Minh' }, admin.write);
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ displayName: 'Trần Minh', role: 'admin' });
    expect(await alive(minh)).toBe(true);

    expect((await patch('minh', { role: 'viewer' }, admin.write)).statusCode).toBe(200);
    expect(await alive(minh)).toBe(false);
    minh = await signIn(t, 'minh');
    expect((await patch('MINH', { password: 'another good password' }, admin.write)).statusCode).toBe(200);
    expect(await alive(minh)).toBe(false);
    expect((await login('minh')).statusCode).toBe(401);
    minh = await signIn(t, 'minh', 'another good password');

    expect((await patch('minh', { disabled: true }, admin.write)).json()).toMatchObject({ disabled: true });
    expect(await alive(minh)).toBe(false);
    expect((await login('minh', 'another good password')).statusCode).toBe(401);
    expect((await patch('minh', { disabled: false }, admin.write)).statusCode).toBe(200);
    expect((await login('minh', 'another good password')).statusCode).toBe(200);
    expect(await alive(admin)).toBe(true);

    const updates = (await t.app.services.audit.list({ limit: 10, action: 'account.update' })).reverse();
    expect(
      updates.map((u) => [u.actor, u.target, (u.details as { endedSessions: number }).endedSessions]),
    ).toEqual([
      ['lan', 'minh', 0],
      ['lan', 'minh', 1],
      ['lan', 'minh', 1],
      ['lan', 'minh', 1],
      ['lan', 'minh', 0],
    ]);
    expect(updates[2]?.details).toEqual({ changed: ['password'], endedSessions: 1 });
    expect(JSON.stringify(updates)).not.toContain('another good password');
  });

  it('keeps admins from disabling or demoting themselves, and the last active admin in place', async () => {
    t = await buildTestApp();
    await addAccount(t, 'lan');
    const lan = await signIn(t, 'lan');
    const self = await patch('lan', { disabled: true }, lan.write);
    expect(self.statusCode).toBe(409);
    expect(errorOf(self)).toBe('self');
    expect(errorOf(await patch('lan', { role: 'viewer' }, lan.write))).toBe('self');
    // Nor their own password without the current one (that is /api/v1/session/password).
    expect(errorOf(await patch('lan', { password: 'a-new-password-123' }, lan.write))).toBe('self');

    const last = await patch('lan', { disabled: true });
    expect(last.statusCode).toBe(409);
    expect(errorOf(last)).toBe('last_admin');
    expect(errorOf(await patch('lan', { role: 'viewer' }))).toBe('last_admin');
    expect(await t.app.services.accounts.get('lan')).toMatchObject({ role: 'admin', disabledAt: null });

    await addAccount(t, 'minh');
    expect((await patch('minh', { disabled: true }, lan.write)).statusCode).toBe(200);
    expect(errorOf(await patch('lan', { role: 'viewer' }))).toBe('last_admin');
    expect((await patch('minh', { disabled: false }, lan.write)).statusCode).toBe(200);
    expect((await patch('lan', { role: 'viewer' })).statusCode).toBe(200);
    expect(await alive(lan)).toBe(false);
  });

  it('answers 404 for an unknown account and 403 for a viewer', async () => {
    t = await buildTestApp();
    expect(errorOf(await patch('nobody', { displayName: 'x' }))).toBe('unknown_account');
    await addAccount(t, 'xem', 'viewer');
    const viewer = await signIn(t, 'xem');
    const res = await patch('xem', { role: 'admin' }, viewer.write);
    expect(res.statusCode).toBe(403);
    expect((await t.app.services.accounts.get('xem'))?.role).toBe('viewer');
  });
});

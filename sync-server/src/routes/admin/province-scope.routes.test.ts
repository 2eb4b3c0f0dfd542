// Accounts limited to a province (issue 16), on both engines: every admin route in /openapi.json
// but the arrivals read answers 403 `forbidden_area` to them, whatever the method or role; their
// session routes keep working. The routes are read from the document, so a route added later is
// covered without a change here.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import {
  addAccount,
  buildTestApp,
  signIn,
  TEST_PASSWORD,
  type AnyTestApp,
  type TestEngine,
  type TestSession,
} from '../../testing/build-test-app.js';

vi.setConfig({ testTimeout: 60_000 });

const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];

const ALLOWED = new Set(['GET /api/v1/admin/arrivals', 'HEAD /api/v1/admin/arrivals']);

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip)(`province-scoped accounts [${engine}]`, () => {
    let t: AnyTestApp;
    let routes: { method: string; path: string }[];
    const sessions: Record<'viewer' | 'admin', TestSession | null> = { viewer: null, admin: null };

    beforeAll(async () => {
      t = await buildTestApp({ engine, loginRateLimit: 1_000_000 });
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, unknown>>;
      }>();
      routes = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/api/v1/admin/'))
        .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
      for (const role of ['viewer', 'admin'] as const) {
        const username = `cong.an.${role}`;
        await addAccount(t, username, role);
        const res = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/admin/accounts/${username}`,
          headers: t.admin,
          payload: { province: 79 },
        });
        expect(res.statusCode).toBe(200);
        sessions[role] = await signIn(t, username);
      }
    }, 120_000);
    afterAll(async () => {
      await t.close();
    }, 60_000);

    it('finds the admin routes in /openapi.json (the check below is not vacuous)', () => {
      expect(routes.length).toBeGreaterThan(30);
      expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/admin/arrivals' });
      expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/admin/scans' });
    });

    for (const role of ['viewer', 'admin'] as const) {
      it(`answers 403 forbidden_area to a scoped ${role} on every admin route but the arrivals read`, async () => {
        const s = sessions[role]!;
        const refused: string[] = [];
        const wrong: string[] = [];
        for (const { method, path } of routes) {
          const key = `${method} ${path}`;
          if (ALLOWED.has(key)) continue;
          const url = path.replace(/\{[^}]+\}/g, 'x');
          const res = await t.app.inject({
            method: method as 'GET',
            url,
            headers: s.write,
            ...(method !== 'GET' && method !== 'HEAD' && method !== 'DELETE' && { payload: {} }),
          });
          if (
            res.statusCode === 403 &&
            (method === 'HEAD' || res.json<{ error: string }>().error === 'forbidden_area')
          )
            refused.push(key);
          else wrong.push(`${key} → ${String(res.statusCode)} ${res.body.slice(0, 80)}`);
        }
        expect(wrong).toEqual([]);
        expect(refused.length).toBe(routes.filter((r) => !ALLOWED.has(`${r.method} ${r.path}`)).length);
      });

      it(`lets a scoped ${role} read its province's arrivals and use its session routes`, async () => {
        const s = sessions[role]!;
        const own = await t.app.inject({
          method: 'GET',
          url: '/api/v1/admin/arrivals?province=79',
          headers: s.cookie,
        });
        expect(own.statusCode).toBe(200);
        const other = await t.app.inject({
          method: 'GET',
          url: '/api/v1/admin/arrivals?province=1',
          headers: s.cookie,
        });
        expect(other.statusCode).toBe(403);
        expect(other.json()).toMatchObject({ error: 'forbidden_area' });
        const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: s.cookie });
        expect(me.json()).toMatchObject({ account: { username: `cong.an.${role}`, province: 79 } });
        const pw = await t.app.inject({
          method: 'POST',
          url: '/api/v1/session/password',
          headers: s.write,
          payload: { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD + '-2' },
        });
        expect(pw.statusCode).toBeLessThan(300);
      });
    }

    it('leaves unscoped accounts as they were (a viewer reads scans, the token everything)', async () => {
      await addAccount(t, 'xem.ca.nuoc', 'viewer');
      const s = await signIn(t, 'xem.ca.nuoc');
      expect(
        (await t.app.inject({ method: 'GET', url: '/api/v1/admin/scans', headers: s.cookie })).statusCode,
      ).toBe(200);
      expect(
        (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: t.admin })).statusCode,
      ).toBe(200);
    });
  });
}

import type { EnrollAnswer } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { addCheckpoint, buildTestApp, enrollKiosk, type TestApp } from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const heartbeat = { listVersions: { health: 0, whitelist: 0 }, backlog: 3, devices: [], clock: 0 };

describe('enrollment', () => {
  it('turns a one-time code into a kiosk id, token, checkpoint config, its scope’s list key and the seal key', async () => {
    let now = 1_700_000_000_000;
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'HCM-01', 'closed', { freshnessBudgetSec: 3600 });
    const codeRes = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/enrollments',
      headers: t.admin,
      payload: { checkpointId: 'HCM-01' },
    });
    expect(codeRes.statusCode).toBe(201);
    const { code, expiresAt } = codeRes.json<{ code: string; expiresAt: string }>();
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(Date.parse(expiresAt)).toBe(now + 900_000);

    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/enroll',
      payload: { code: code.toLowerCase(), name: 'Lane A' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<EnrollAnswer>();
    expect(body.checkpoint).toEqual({
      id: 'HCM-01',
      name: 'Checkpoint HCM-01',
      mode: 'closed',
      freshnessBudgetSec: 3600,
      blockingStatuses: ['F0', 'F1'],
      repeatWindowSec: 5,
    });
    // The scope's list key K (made on first use), never the server's index key.
    const fleetKey = await t.app.services.listKeys.current('fleet');
    expect(body.listKeyId).toBe(fleetKey.id);
    expect(Buffer.from(body.listKey, 'base64')).toEqual(fleetKey.key);
    expect(Buffer.from(body.listKey, 'base64').equals(t.listKey)).toBe(false);
    expect(body.scanSealKey).toBe(t.app.services.scanSeal.publicKeyBase64());
    expect(Buffer.from(body.scanSealKey ?? '', 'base64')).toHaveLength(32);

    // The code works once.
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/enroll',
      payload: { code, name: 'Lane B' },
    });
    expect(again.statusCode).toBe(403);
    expect(again.json()).toMatchObject({ error: 'bad_enrollment_code' });

    // The token works on kiosk routes, and the heartbeat is recorded for the fleet view.
    now += 1000;
    const hb = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: { authorization: `Bearer ${body.token}` },
      payload: { ...heartbeat, clock: now + 250, devices: [{ name: 'cam0', kind: 'camera', status: 'ok' }] },
    });
    expect(hb.statusCode).toBe(200);
    expect(hb.json()).toMatchObject({
      serverTime: now,
      checkpoint: { id: 'HCM-01' },
      listKeyId: fleetKey.id,
    });
    const kiosks = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: t.admin })
    ).json<{
      kiosks: object[];
    }>().kiosks;
    expect(kiosks).toEqual([
      expect.objectContaining({
        id: body.kioskId,
        name: 'Lane A',
        checkpointId: 'HCM-01',
        online: true,
        lastHeartbeatAt: now,
        backlog: 3,
        clockSkewMs: 250,
        listVersions: { health: 0, whitelist: 0 },
        devices: [{ name: 'cam0', kind: 'camera', status: 'ok' }],
      }),
    ]);
  });

  it('refuses expired codes and codes for unknown checkpoints', async () => {
    let now = 1_700_000_000_000;
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'CP');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/enrollments',
      headers: t.admin,
      payload: { checkpointId: 'NOPE' },
    });
    expect(unknown.statusCode).toBe(404);
    const { code } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/enrollments',
        headers: t.admin,
        payload: { checkpointId: 'CP', ttlSec: 60 },
      })
    ).json<{ code: string }>();
    now += 60_000;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/enroll',
      payload: { code, name: 'x' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('rate-limits enrollment attempts', async () => {
    t = await buildTestApp({ enrollRateLimit: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/enroll',
        payload: { code: 'AAAA-AAAA', name: 'x' },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([403, 403, 403, 429, 429]);
    const limited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/enroll',
      payload: { code: 'x', name: 'x' },
    });
    expect(limited.json()).toEqual({
      error: 'rate_limited',
      message: 'too many attempts; try again in 1 minute',
    });
  });

  it('shows each kiosk only its own checkpoint', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'open');
    await addCheckpoint(t, 'B', 'closed');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    const hbA = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: a.auth,
      payload: heartbeat,
    });
    const hbB = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: b.auth,
      payload: heartbeat,
    });
    expect(hbA.json<{ checkpoint: { id: string } }>().checkpoint.id).toBe('A');
    expect(hbB.json<{ checkpoint: { id: string } }>().checkpoint.id).toBe('B');
  });
});

describe('auth matrix', () => {
  it('refuses no token, a wrong token, a kiosk token on admin routes and a revoked kiosk token', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'CP');
    const k = await enrollKiosk(t, 'CP');
    const adminUrl = '/api/v1/admin/kiosks';
    const kioskUrl = '/api/v1/kiosk/list-key';

    const cases: [string, string, Record<string, string>, number][] = [
      ['admin, no token', adminUrl, {}, 401],
      ['admin, wrong token', adminUrl, { authorization: 'Bearer nope' }, 401],
      ['admin, not bearer', adminUrl, { authorization: `Basic ${t.adminToken}` }, 401],
      ['admin, kiosk token', adminUrl, k.auth, 401],
      ['admin, admin token', adminUrl, t.admin, 200],
      ['kiosk, no token', kioskUrl, {}, 401],
      ['kiosk, wrong token', kioskUrl, { authorization: 'Bearer ck_nope' }, 401],
      ['kiosk, admin token', kioskUrl, t.admin, 401],
      ['kiosk, kiosk token', kioskUrl, k.auth, 200],
    ];
    for (const [name, url, headers, status] of cases) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, name).toBe(status);
      if (status === 401) expect(Object.keys(res.json<object>()), name).toEqual(['error', 'message']);
    }

    const revoke = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kiosks/${k.kioskId}/revoke`,
      headers: t.admin,
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({ id: k.kioskId, revokedAt: expect.any(Number) as number });
    const after = await t.app.inject({ method: 'GET', url: kioskUrl, headers: k.auth });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: 'kiosk_revoked' });

    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: t.admin })).json<{
      records: { action: string; target: string }[];
    }>().records;
    expect(audit.map((r) => r.action)).toEqual([
      'lists.rotate-key',
      'kiosk.revoke',
      'kiosk.enroll',
      'enrollment.create',
      'checkpoint.create',
    ]);
  });

  it('cuts off an address’s failures after many, never its valid tokens', async () => {
    t = await buildTestApp();
    const statuses = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/kiosks',
        headers: { authorization: 'Bearer x' },
      });
      statuses.add(res.statusCode);
    }
    expect([...statuses]).toEqual([401, 429]);
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: t.admin });
    expect(ok.statusCode).toBe(200);
  });
});

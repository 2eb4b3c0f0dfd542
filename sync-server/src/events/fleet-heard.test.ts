// The fleet's online view across servers (issue 14, item 4): a lane that only heartbeats to one
// server, with no event stream, shows online on the other too — read from the database, where
// every heartbeat is stored. Two servers (two Fastify apps, each with its own pool and store) on
// one real PostgreSQL database.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../db/pg/pg-database.testkit.js';
import type { App } from '../routes/schemas.js';
import { buildFleet, type Fleet } from '../testing/pg-fleet.testkit.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const skip = await pgUnavailable();

let fleet: Fleet | undefined;
afterEach(async () => {
  const f = fleet;
  fleet = undefined;
  await f?.close();
});

describe.skipIf(skip !== null)('the fleet view across two servers on one PostgreSQL database', () => {
  it('shows a lane that heartbeats to server B online on server A, and offline again once it is silent', async () => {
    let now = Date.UTC(2026, 0, 5, 9);
    const f = (fleet = await buildFleet({ clock: () => now, kioskOfflineAfterMs: 60_000 }));
    const admin = (app: App, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      app.inject({
        method,
        url: `/api/v1/admin${url}`,
        headers: f.admin,
        ...(payload === undefined ? {} : { payload }),
      });
    expect(
      (await admin(f.a, 'POST', '/checkpoints', { id: 'CP', name: 'CP', mode: 'open' })).statusCode,
    ).toBe(201);
    const code = (await admin(f.a, 'POST', '/enrollments', { checkpointId: 'CP' })).json<{ code: string }>()
      .code;
    const enrolled = await f.a.inject({
      method: 'POST',
      url: '/api/v1/kiosk/enroll',
      payload: { code, name: 'Lane 1' },
    });
    const { kioskId, token } = enrolled.json<{ kioskId: string; token: string }>();
    const onlineOn = async (app: App): Promise<boolean | undefined> =>
      (await admin(app, 'GET', '/kiosks'))
        .json<{ kiosks: { id: string; online: boolean }[] }>()
        .kiosks.find((k) => k.id === kioskId)?.online;

    // Server A enrolled it but has not heard from it since; the lane heartbeats to B only.
    await f.a.services.fleet.readFromDatabase();
    expect(await onlineOn(f.a)).toBe(false);
    const beat = await f.b.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: { authorization: `Bearer ${token}` },
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: now },
    });
    expect(beat.statusCode).toBe(200);
    expect(await onlineOn(f.b)).toBe(true);
    // A's sweep reads the stored heartbeat (here run at once instead of waiting for the timer).
    await f.a.services.fleet.readFromDatabase();
    expect(await onlineOn(f.a)).toBe(true);

    // Silent past the offline limit: offline on both.
    now += 61_000;
    await f.a.services.fleet.readFromDatabase();
    f.a.services.fleet.sweep();
    f.b.services.fleet.sweep();
    expect(await onlineOn(f.a)).toBe(false);
    expect(await onlineOn(f.b)).toBe(false);
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call, SseClient, useLoopbackServer } from './sync-server-helpers.js';

// The server is built from source (vitest alias) and listens for real on 127.0.0.1.

const ADMIN = 'events-admin-token-0123456789abcdef';
const server = await useLoopbackServer('cl-events-', ADMIN, { sseKeepAliveMs: 50 });

async function enroll(checkpointId: string, name: string): Promise<{ token: string; kioskId: string }> {
  const { body } = await call<{ code: string }>(`${server.url}/api/v1/admin/enrollments`, {
    token: ADMIN,
    body: { checkpointId },
  });
  return (
    await call<{ token: string; kioskId: string }>(`${server.url}/api/v1/kiosk/enroll`, {
      body: { code: body.code, name },
    })
  ).body;
}

describe('server-sent events on a real listener', () => {
  it('pushes list versions and urgent blocking changes to lanes, alerts and fleet changes to admins', async () => {
    await call(`${server.url}/api/v1/admin/checkpoints`, {
      token: ADMIN,
      body: { id: 'A', name: 'A', mode: 'open' },
    });
    await call(`${server.url}/api/v1/admin/checkpoints`, {
      token: ADMIN,
      body: { id: 'B', name: 'B', mode: 'open', blockingStatuses: ['F0'] },
    });
    const a = await enroll('A', 'lane A');
    const b = await enroll('B', 'lane B');

    const admin = await SseClient.open(`${server.url}/api/v1/admin/events`, ADMIN);
    await admin.next('hello');
    const laneA = await SseClient.open(`${server.url}/api/v1/kiosk/events`, a.token);
    const laneB = await SseClient.open(`${server.url}/api/v1/kiosk/events`, b.token);
    expect((await laneA.next('hello')).data).toMatchObject({ kioskId: a.kioskId, checkpointId: 'A' });
    expect((await laneA.next('list-version')).data).toEqual({ list: 'health', version: 0 });
    expect((await laneA.next('list-version')).data).toEqual({ list: 'whitelist', version: 0 });
    await laneB.next('list-version');
    await laneB.next('list-version');
    const online = [(await admin.next('kiosk-status')).data, (await admin.next('kiosk-status')).data];
    expect(online).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kioskId: a.kioskId, online: true }),
        expect.objectContaining({ kioskId: b.kioskId, online: true }),
      ]),
    );

    // An F1 blocks at A (F0, F1) but not at B (F0 only): only lane A gets it inline.
    const put = await call<{ key: string; version: number }>(
      `${server.url}/api/v1/admin/lists/health/entries/001099012345`,
      {
        method: 'PUT',
        token: ADMIN,
        body: { status: 'F1' },
      },
    );
    expect(put.status).toBe(200);
    const urgent = await laneA.next('urgent');
    // Keyed with the list key of A's key scope (never the server's own key the admin answer names);
    // signed (verified as a lane does in lane-signed-lists.test.ts).
    const { body: listKey } = await call<{ keyId: number; listKey: string }>(
      `${server.url}/api/v1/kiosk/list-key`,
      { token: a.token },
    );
    const laneKey = createHmac('sha256', Buffer.from(listKey.listKey, 'base64'))
      .update('personal_id:001099012345', 'utf8')
      .digest()
      .subarray(0, 8)
      .toString('hex');
    expect(laneKey).not.toBe(put.body.key);
    expect(urgent.data).toMatchObject({
      list: 'health',
      fromVersion: 0,
      toVersion: 1,
      changes: [{ key: laneKey, op: 'put', entry: { status: 'F1', since: null, until: null } }],
      keyId: listKey.keyId,
      signature: expect.stringMatching(/^[0-9a-f]{16}:[A-Za-z0-9+/]{86}==$/) as unknown,
    });
    expect((await laneA.next('list-version')).data).toEqual({ list: 'health', version: 1 });
    expect((await laneB.next('list-version')).data).toEqual({ list: 'health', version: 1 });

    // A checkpoint change reaches that checkpoint's lanes only.
    await call(`${server.url}/api/v1/admin/checkpoints`, {
      token: ADMIN,
      body: { id: 'B', name: 'B', mode: 'closed', blockingStatuses: ['F0'] },
    });
    expect((await laneB.next('checkpoint')).data).toMatchObject({ id: 'B', mode: 'closed' });

    // Keep-alive comments flow (50 ms here); the stream stays open.
    expect(laneB.ended).toBe(false);

    // An alert scan reaches the admin stream.
    const upload = await call<{ ackedThrough: number }>(`${server.url}/api/v1/kiosk/scans`, {
      token: a.token,
      body: {
        records: [
          {
            type: 'scan',
            seq: 1,
            id: '01890a5d-ac96-7000-8000-000000000001',
            at: Date.now(),
            source: 'simulated',
            format: 'personal_id',
            subjectKey: put.body.key,
            subjectSealed: null,
            decision: 'red',
            reasons: ['health_blocked'],
            warnings: [],
            alert: true,
          },
        ],
      },
    });
    expect(upload.body).toEqual({ ackedThrough: 1 });
    expect((await admin.next('alert')).data).toMatchObject({
      kioskId: a.kioskId,
      checkpointId: 'A',
      status: 'F1',
    });

    // Revoking a lane ends its stream at once.
    await call(`${server.url}/api/v1/admin/kiosks/${b.kioskId}/revoke`, { token: ADMIN, body: {} });
    expect((await laneB.next('revoked')).data).toEqual({ kioskId: b.kioskId });
    await laneB.closed;
    expect((await admin.next('kiosk-status')).data).toMatchObject({ kioskId: b.kioskId, online: false });
    const refused = await fetch(`${server.url}/api/v1/kiosk/events`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(refused.status).toBe(401);

    expect(laneA.received('checkpoint')).toBe(false);
    laneA.close();
    admin.close();
  });
});

// List keys K per key scope over the real server on 127.0.0.1: the admin list and rotation, a
// checkpoint's key scope, GET /kiosk/list-key, and the rotation a lane's revocation makes; lanes
// hear of a new key on their event stream (`list-key`) and in their heartbeat (`listKeyId`).
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  CheckpointList,
  CheckpointView,
  ListKeyAnswer,
  ListKeyRotateAnswer,
  ListKeysAnswer,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  signIn,
  type TestApp,
  type TestKiosk,
} from '../../testing/build-test-app.js';

let t: TestApp;
let port = 0;
const opened: IncomingMessage[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await t.close();
});

const heartbeat = { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: 0 };

/** A server with checkpoints A and B in scope HCM, C in the default scope, one lane at each. */
async function start(): Promise<{ a: TestKiosk; b: TestKiosk; c: TestKiosk }> {
  let now = 1_700_000_000_000;
  t = await buildTestApp({ clock: () => (now += 1), sseKeepAliveMs: 60_000 });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
  await addCheckpoint(t, 'A', 'open', { keyScope: 'HCM' });
  await addCheckpoint(t, 'B', 'open', { keyScope: 'HCM' });
  await addCheckpoint(t, 'C');
  return { a: await enrollKiosk(t, 'A'), b: await enrollKiosk(t, 'B'), c: await enrollKiosk(t, 'C') };
}

/** An open lane event stream: its text so far. */
interface Stream {
  text: string;
}

/** Opens a lane's event stream and waits for its first event (`hello`). */
function openStream(headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/kiosk/events', headers }, (res) => {
      expect(res.statusCode).toBe(200);
      opened.push(res);
      const stream: Stream = { text: '' };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        stream.text += chunk;
        if (stream.text.includes('event: hello')) resolve(stream);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `list-key` events a stream got, in order. */
const listKeyEvents = (s: Stream): number[] =>
  [...s.text.matchAll(/event: list-key\ndata: (.*)\n/g)].map(
    (m) => (JSON.parse(m[1] ?? '') as { keyId: number }).keyId,
  );

const until = async (what: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function listKey(k: TestKiosk) {
  return t.app.inject({ method: 'GET', url: '/api/v1/kiosk/list-key', headers: k.auth });
}

async function heartbeatKeyId(k: TestKiosk): Promise<number | undefined> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/heartbeat',
    headers: k.auth,
    payload: heartbeat,
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ listKeyId?: number }>().listKeyId;
}

async function rotate(payload: Record<string, unknown>, headers: Record<string, string> = t.admin) {
  return t.app.inject({ method: 'POST', url: '/api/v1/admin/lists/keys/rotate', headers, payload });
}

async function audit(action: string): Promise<{ target: string; details: Record<string, unknown> }[]> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/admin/audit?action=${action}`,
    headers: t.admin,
  });
  return res.json<{ records: { target: string; details: Record<string, unknown> }[] }>().records;
}

describe('GET /api/v1/kiosk/list-key', () => {
  it('gives a lane its scope’s current key and the seal key; a revoked lane gets nothing', async () => {
    const { a, b, c } = await start();
    const s = t.app.services;
    const ra = await listKey(a);
    expect(ra.statusCode).toBe(200);
    expect(ra.headers['cache-control']).toBe('no-store');
    const hcm = await s.listKeys.current('HCM');
    const fleet = await s.listKeys.current('fleet');
    expect(ra.json<ListKeyAnswer>()).toEqual({
      keyId: hcm.id,
      listKey: hcm.key.toString('base64'),
      scanSealKey: s.scanSeal.publicKeyBase64(),
    });
    expect((await listKey(b)).json<ListKeyAnswer>().keyId).toBe(hcm.id);
    const rc = (await listKey(c)).json<ListKeyAnswer>();
    expect(rc.keyId).toBe(fleet.id);
    expect(rc.keyId).not.toBe(hcm.id);
    expect(Buffer.from(rc.listKey, 'base64')).toEqual(fleet.key);
    expect(Buffer.from(rc.listKey, 'base64').equals(t.listKey)).toBe(false);
    expect(Buffer.from(ra.json<ListKeyAnswer>().listKey, 'base64').equals(t.listKey)).toBe(false);

    await t.app.inject({ method: 'POST', url: `/api/v1/admin/kiosks/${a.kioskId}/revoke`, headers: t.admin });
    const refused = await listKey(a);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'kiosk_revoked' });
    expect(refused.body).not.toContain((await s.listKeys.current('HCM')).key.toString('base64'));
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/list-key' })).statusCode).toBe(401);
  });
});

describe('list key rotation', () => {
  it('rotates a checkpoint’s scope on demand, names the checkpoints sharing it, tells their lanes', async () => {
    const { a, b, c } = await start();
    const s = t.app.services;
    const old = await s.listKeys.current('HCM');
    const fleet = await s.listKeys.current('fleet');
    const [sa, sb, sc] = [await openStream(a.auth), await openStream(b.auth), await openStream(c.auth)];

    const res = await rotate({ checkpointId: 'B' });
    expect(res.statusCode).toBe(200);
    const answer = res.json<ListKeyRotateAnswer>();
    expect(answer).toEqual({ scope: 'HCM', keyId: expect.any(Number) as number, checkpoints: ['A', 'B'] });
    expect(answer.keyId).toBeGreaterThan(old.id);
    expect((await s.listKeys.current('HCM')).id).toBe(answer.keyId);
    expect((await s.listKeys.current('HCM')).key.equals(old.key)).toBe(false);
    expect(await s.listKeys.current('fleet')).toEqual(fleet);

    await until(() => listKeyEvents(sa).length === 1 && listKeyEvents(sb).length === 1);
    expect(listKeyEvents(sa)).toEqual([answer.keyId]);
    expect(listKeyEvents(sb)).toEqual([answer.keyId]);
    expect(await heartbeatKeyId(a)).toBe(answer.keyId);
    expect(await heartbeatKeyId(c)).toBe(fleet.id);
    expect((await listKey(b)).json<ListKeyAnswer>().keyId).toBe(answer.keyId);
    expect(listKeyEvents(sc)).toEqual([]);

    expect(await audit('lists.rotate-key')).toEqual([
      expect.objectContaining({
        target: 'HCM',
        details: { keyId: answer.keyId, reason: 'rotate', checkpointId: 'B' },
      }),
    ]);
    // The default scope rotates the same way.
    const rc = (await rotate({ checkpointId: 'C' })).json<ListKeyRotateAnswer>();
    expect(rc).toMatchObject({ scope: 'fleet', checkpoints: ['C'] });
    await until(() => listKeyEvents(sc).length === 1);
    expect(listKeyEvents(sc)).toEqual([rc.keyId]);
  });

  it('refuses an unknown checkpoint, a bad body and a viewer, and changes nothing', async () => {
    await start();
    const s = t.app.services;
    const before = await s.listKeys.current('HCM');
    const unknown = await rotate({ checkpointId: 'NOPE' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'unknown_checkpoint' });
    for (const bad of [{}, { checkpointId: '' }, { checkpointId: '../A' }, { checkpointId: null }]) {
      const res = await rotate(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    await addAccount(t, 'vera', 'viewer');
    const viewer = await signIn(t, 'vera');
    const refused = await rotate({ checkpointId: 'A' }, viewer.write);
    expect(refused.statusCode).toBe(403);
    await addAccount(t, 'ada', 'admin');
    const admin = await signIn(t, 'ada');
    expect((await rotate({ checkpointId: 'A' }, admin.write)).statusCode).toBe(200);
    expect((await s.listKeys.current('HCM')).id).toBe(before.id + 2);
    expect((await audit('lists.rotate-key')).length).toBe(1);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/admin/lists/keys', headers: viewer.cookie }))
        .statusCode,
    ).toBe(200);
  });

  it('lists each scope’s current key id, birth and checkpoints, never key bytes', async () => {
    await start();
    const s = t.app.services;
    await addCheckpoint(t, 'D', 'open', { keyScope: 'HN' });
    const hcm = await s.listKeys.current('HCM');
    const fleet = await s.listKeys.current('fleet');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/lists/keys', headers: t.admin });
    expect(res.json<ListKeysAnswer>().scopes).toEqual([
      { scope: 'HCM', keyId: hcm.id, createdAt: expect.any(Number) as number, checkpoints: ['A', 'B'] },
      { scope: 'HN', keyId: null, createdAt: null, checkpoints: ['D'] },
      { scope: 'fleet', keyId: fleet.id, createdAt: expect.any(Number) as number, checkpoints: ['C'] },
    ]);
    for (const key of [hcm.key, fleet.key]) {
      expect(res.body).not.toContain(key.toString('base64'));
      expect(res.body).not.toContain(key.toString('hex'));
    }
  });
});

describe('revocation rotates the lane’s scope', () => {
  it('in the same step: the scope’s other lanes are told, other scopes keep their key', async () => {
    const { a, b, c } = await start();
    const s = t.app.services;
    const old = await s.listKeys.current('HCM');
    const fleet = await s.listKeys.current('fleet');
    const [sb, sc] = [await openStream(b.auth), await openStream(c.auth)];

    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kiosks/${a.kioskId}/revoke`,
      headers: t.admin,
    });
    expect(res.statusCode).toBe(200);
    const next = await s.listKeys.current('HCM');
    expect(next.id).not.toBe(old.id);
    expect(next.key.equals(old.key)).toBe(false);
    expect(await s.listKeys.current('fleet')).toEqual(fleet);
    await until(() => listKeyEvents(sb).length === 1);
    expect(listKeyEvents(sb)).toEqual([next.id]);
    expect(await heartbeatKeyId(b)).toBe(next.id);
    expect(listKeyEvents(sc)).toEqual([]);
    expect(await heartbeatKeyId(c)).toBe(fleet.id);

    const rotations = await audit('lists.rotate-key');
    expect(rotations).toEqual([
      expect.objectContaining({
        target: 'HCM',
        details: { keyId: next.id, reason: 'kiosk.revoke', kioskId: a.kioskId },
      }),
    ]);
    // The revoked key row and the new one: rotated at the revocation's time.
    const revokedAt = (await s.kiosks.get(a.kioskId))?.revokedAt;
    expect(t.db.prepare('SELECT retired_at FROM list_keys WHERE id = ?').pluck().get(old.id)).toBe(revokedAt);

    // Revoking again rotates nothing more.
    await t.app.inject({ method: 'POST', url: `/api/v1/admin/kiosks/${a.kioskId}/revoke`, headers: t.admin });
    expect(await s.listKeys.current('HCM')).toEqual(next);
    expect((await audit('lists.rotate-key')).length).toBe(1);
    // An unknown lane: 404, nothing rotated.
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/kiosks/nope/revoke',
      headers: t.admin,
    });
    expect(unknown.statusCode).toBe(404);
    expect(await s.listKeys.current('HCM')).toEqual(next);
    expect(await s.listKeys.current('fleet')).toEqual(fleet);
  });
});

describe('a checkpoint’s key scope', () => {
  it('is shown in the checkpoint view, kept when unset, and moving it tells the checkpoint’s lanes', async () => {
    const { a, b } = await start();
    const s = t.app.services;
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: t.admin }))
      .json<CheckpointList>()
      .checkpoints.map((cp) => [cp.id, cp.keyScope]);
    expect(list).toEqual([
      ['A', 'HCM'],
      ['B', 'HCM'],
      ['C', 'fleet'],
    ]);
    const hcm = await s.listKeys.current('HCM');
    const sa = await openStream(a.auth);
    const sb = await openStream(b.auth);

    // Unset: kept, and nobody is told anything.
    const kept = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/checkpoints',
      headers: t.admin,
      payload: { id: 'A', name: 'A again', mode: 'open' },
    });
    expect(kept.statusCode).toBe(200);
    expect(kept.json<CheckpointView>()).toMatchObject({ id: 'A', name: 'A again', keyScope: 'HCM' });

    const moved = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/checkpoints',
      headers: t.admin,
      payload: { id: 'A', name: 'A', mode: 'open', keyScope: 'HN' },
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json<CheckpointView>().keyScope).toBe('HN');
    const hn = await s.listKeys.current('HN');
    await until(() => listKeyEvents(sa).length === 1);
    expect(listKeyEvents(sa)).toEqual([hn.id]);
    expect(await heartbeatKeyId(a)).toBe(hn.id);
    expect((await listKey(a)).json<ListKeyAnswer>().listKey).toBe(hn.key.toString('base64'));
    expect(await s.listKeys.current('HCM')).toEqual(hcm);
    expect(listKeyEvents(sb)).toEqual([]);
    expect(sa.text).toContain('event: checkpoint');

    // `fleet` puts it back in the default scope (stored as no scope).
    const back = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/checkpoints',
      headers: t.admin,
      payload: { id: 'A', name: 'A', mode: 'open', keyScope: 'fleet' },
    });
    expect(back.json<CheckpointView>().keyScope).toBe('fleet');
    expect(t.db.prepare("SELECT key_scope FROM checkpoints WHERE id = 'A'").pluck().get()).toBeNull();
    await until(() => listKeyEvents(sa).length === 2);
    expect(listKeyEvents(sa)[1]).toBe((await s.listKeys.current('fleet')).id);

    const updates = await audit('checkpoint.update');
    expect(updates[0]?.details).toMatchObject({ id: 'A', keyScope: 'fleet' });
  });

  it('refuses a malformed scope with 400 and keeps the checkpoint as it was', async () => {
    await start();
    for (const keyScope of ['', '-HCM', 'HCM/1', 'a'.repeat(65), 'HCM 1', null]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/checkpoints',
        headers: t.admin,
        payload: { id: 'A', name: 'renamed', mode: 'closed', keyScope },
      });
      expect(res.statusCode, JSON.stringify(keyScope)).toBe(400);
    }
    const a = await t.app.services.checkpoints.view('A');
    expect(a).toMatchObject({ name: 'Checkpoint A', mode: 'open', keyScope: 'HCM' });
  });
});

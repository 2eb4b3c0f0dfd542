import { scryptSync, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashOfficerPin } from '../../auth/officer-pins.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  signIn,
  type TestApp,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

interface OfficerView {
  id: string;
  name: string;
  role: string;
  checkpoints: string[] | null;
  disabled: boolean;
  updatedAt: number;
}
interface Roster {
  version: number;
  officers: { id: string; name: string; role: string; pinHash: string }[];
}

const put = (id: string, payload: Record<string, unknown>, headers: Record<string, string> = t.admin) =>
  t.app.inject({ method: 'PUT', url: `/api/v1/admin/officers/${id}`, headers, payload });
const post = (id: string, action: 'disable' | 'enable', headers: Record<string, string> = t.admin) =>
  t.app.inject({ method: 'POST', url: `/api/v1/admin/officers/${id}/${action}`, headers });
const list = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/admin/officers', headers: t.admin })).json<{
    version: number;
    officers: OfficerView[];
    pinRule: { minDigits: number; maxDigits: number };
  }>();
const errorOf = (res: { body: string }) => (JSON.parse(res.body) as { error: string }).error;

/** The lane's own check (kiosk/src/agent/officers.ts), repeated here: the server must not import kiosk code. */
const laneAccepts = (pin: string, pinHash: string): boolean => {
  const [, salt = '', hash = ''] = pinHash.split('$');
  const expected = Buffer.from(hash, 'base64');
  return timingSafeEqual(expected, scryptSync(pin, Buffer.from(salt, 'base64'), expected.length));
};

async function setUp(officerPinMinDigits?: number): Promise<void> {
  t = await buildTestApp(officerPinMinDigits === undefined ? {} : { officerPinMinDigits });
  await addCheckpoint(t, 'CP-A');
  await addCheckpoint(t, 'CP-B');
  await addCheckpoint(t, 'CP-C');
}

describe('/api/v1/admin/officers', () => {
  it('creates, updates, disables and enables officers, advancing the roster version each time', async () => {
    await setUp();
    expect(await list()).toEqual({ version: 0, officers: [], pinRule: { minDigits: 6, maxDigits: 8 } });
    const created = await put('o-lan', {
      name: ' Lan ',
      role: 'officer',
      checkpoints: ['CP-B', 'CP-A'],
      pin: '123456',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      version: 1,
      officer: { id: 'o-lan', name: 'Lan', role: 'officer', checkpoints: ['CP-A', 'CP-B'], disabled: false },
    });
    // Update without a PIN keeps the old one; without checkpoints keeps the old ones.
    const hashBefore = (await t.app.services.officers.get('o-lan'))?.pinHash;
    const updated = await put('o-lan', { name: 'Nguyễn Lan', role: 'supervisor' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      version: 2,
      officer: { name: 'Nguyễn Lan', role: 'supervisor', checkpoints: ['CP-A', 'CP-B'] },
    });
    expect((await t.app.services.officers.get('o-lan'))?.pinHash).toBe(hashBefore);
    expect((await put('o-lan', { name: 'Lan', role: 'officer', checkpoints: null })).json()).toMatchObject({
      version: 3,
      officer: { checkpoints: null },
    });
    const disabled = await post('o-lan', 'disable');
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ version: 4, officer: { disabled: true } });
    // Twice changes nothing.
    expect((await post('o-lan', 'disable')).json()).toMatchObject({ version: 4 });
    expect((await post('o-lan', 'enable')).json()).toMatchObject({
      version: 5,
      officer: { disabled: false },
    });
    expect((await post('nobody', 'disable')).statusCode).toBe(404);
    const roster = await list();
    expect(roster.version).toBe(5);
    expect(roster.officers).toEqual([
      {
        id: 'o-lan',
        name: 'Lan',
        role: 'officer',
        checkpoints: null,
        disabled: false,
        updatedAt: expect.any(Number) as unknown,
      },
    ]);
    const audit = (await t.app.services.audit.list({ limit: 20, targetLike: 'o-lan' })).reverse();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['officer.create', 'token@127.0.0.1'],
      ['officer.update', 'token@127.0.0.1'],
      ['officer.update', 'token@127.0.0.1'],
      ['officer.disable', 'token@127.0.0.1'],
      ['officer.enable', 'token@127.0.0.1'],
    ]);
    expect(audit[0]?.details).toEqual({
      name: 'Lan',
      role: 'officer',
      checkpoints: ['CP-B', 'CP-A'],
      pinChanged: true,
      version: 1,
    });
    expect(audit[1]?.details).toMatchObject({ pinChanged: false });
  });

  it('validates PINs, names, ids and checkpoints, and never answers or audits a PIN or hash', async () => {
    await setUp();
    for (const bad of [
      { name: 'x', role: 'officer', pin: '123' },
      { name: 'x', role: 'officer', pin: '123456789' },
      { name: 'x', role: 'officer', pin: '12a4' },
      { name: 'x', role: 'chief', pin: '123456' },
      { name: '', role: 'officer', pin: '123456' },
      { name: '   ', role: 'officer', pin: '123456' },
      { name: 'x', role: 'officer', pin: '123456', checkpoints: [] },
      { role: 'officer', pin: '123456' },
    ])
      expect((await put('o1', bad)).statusCode).toBe(400);
    const noPin = await put('o1', { name: 'x', role: 'officer' });
    expect(noPin.statusCode).toBe(400);
    expect(errorOf(noPin)).toBe('pin_required');
    const unknown = await put('o1', {
      name: 'x',
      role: 'officer',
      pin: '123456',
      checkpoints: ['CP-A', 'NOPE'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown)).toBe('unknown_checkpoint');
    expect((await put('bad%20id', { name: 'x', role: 'officer', pin: '123456' })).statusCode).toBe(400);
    expect((await list()).version).toBe(0);

    expect((await put('o1', { name: 'x', role: 'officer', pin: '98765432' })).statusCode).toBe(201);
    expect((await put('o1', { name: 'x', role: 'officer', pin: '24681357' })).statusCode).toBe(200);
    const answers = JSON.stringify(await list());
    expect(answers).not.toMatch(/scrypt|hash|98765432|24681357/i);
    const audit = JSON.stringify(await t.app.services.audit.list({ limit: 50 }));
    expect(audit).not.toContain('98765432');
    expect(audit).not.toContain('24681357');
    expect(audit).not.toMatch(/scrypt/);
    // The stored hash is in the lane's format and checks the PIN the lane's way.
    const stored = (await t.app.services.officers.get('o1'))?.pinHash ?? '';
    expect(stored).toMatch(/^scrypt\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(laneAccepts('24681357', stored)).toBe(true);
    expect(laneAccepts('98765432', stored)).toBe(false);
  });

  it('takes new and changed PINs of at least 6 digits by default; shorter ones are 400 pin_too_short, stored ones keep working', async () => {
    await setUp();
    for (const pin of ['1', '1234', '12345']) {
      const res = await put('o1', { name: 'x', role: 'officer', pin });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toBe('pin_too_short');
      expect(res.json<{ message: string }>().message).toMatch(/6 to 8 digits.*--officer-pin-min-digits/);
      if (pin.length > 1) expect(res.body).not.toContain(pin);
    }
    expect((await list()).version).toBe(0); // nothing written
    const required = await put('o1', { name: 'x', role: 'officer' });
    expect(required.json<{ message: string }>().message).toMatch(/6 to 8 digits/);
    expect((await put('o1', { name: 'x', role: 'officer', pin: '123456' })).statusCode).toBe(201);

    // A 4-digit PIN set before (under a lower minimum) stays: updates without a PIN keep it, the
    // lane still gets it and accepts it; changing it follows today's minimum.
    const old = await hashOfficerPin('4321');
    await t.app.services.officers.save(
      { id: 'old', name: 'Cũ', role: 'officer', checkpoints: null, pinHash: old },
      1,
      'test',
    );
    expect((await put('old', { name: 'Cũ Hơn', role: 'supervisor' })).statusCode).toBe(200);
    expect((await t.app.services.officers.get('old'))?.pinHash).toBe(old);
    const lane = await enrollKiosk(t, 'CP-A', 'Lane A');
    const roster = (
      await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: lane.auth })
    ).json<Roster>();
    expect(laneAccepts('4321', roster.officers.find((o) => o.id === 'old')?.pinHash ?? '')).toBe(true);
    expect(errorOf(await put('old', { name: 'Cũ', role: 'officer', pin: '1234' }))).toBe('pin_too_short');
    expect((await put('old', { name: 'Cũ', role: 'officer', pin: '24681012' })).statusCode).toBe(200);
  });

  it('follows the server setting: a minimum of 4 takes 4 digits, a minimum of 8 refuses 7', async () => {
    await setUp(4);
    expect((await list()).pinRule).toEqual({ minDigits: 4, maxDigits: 8 });
    expect((await put('o1', { name: 'x', role: 'officer', pin: '1234' })).statusCode).toBe(201);
    expect(errorOf(await put('o2', { name: 'x', role: 'officer', pin: '123' }))).toBe('pin_too_short');
    await t.close();
    await setUp(8);
    expect((await list()).pinRule).toEqual({ minDigits: 8, maxDigits: 8 });
    const seven = await put('o1', { name: 'x', role: 'officer', pin: '1234567' });
    expect(errorOf(seven)).toBe('pin_too_short');
    expect(seven.json<{ message: string }>().message).toMatch(/8 to 8 digits/);
    expect((await put('o1', { name: 'x', role: 'officer', pin: '12345678' })).statusCode).toBe(201);
  });

  it('refuses a PIN another active officer at a shared checkpoint has, and allows it at disjoint ones', async () => {
    await setUp();
    expect(
      (await put('a', { name: 'A', role: 'officer', checkpoints: ['CP-A'], pin: '111111' })).statusCode,
    ).toBe(201);
    const clash = await put('b', {
      name: 'B',
      role: 'officer',
      checkpoints: ['CP-B', 'CP-A'],
      pin: '111111',
    });
    expect(clash.statusCode).toBe(409);
    expect(errorOf(clash)).toBe('pin_in_use');
    expect(clash.body).not.toContain('"a"'); // which officer holds it is not told
    // Every checkpoint overlaps with any.
    expect(
      (await put('c', { name: 'C', role: 'officer', checkpoints: null, pin: '111111' })).statusCode,
    ).toBe(409);
    // Disjoint checkpoints: the same PIN is fine.
    expect(
      (await put('b', { name: 'B', role: 'officer', checkpoints: ['CP-B'], pin: '111111' })).statusCode,
    ).toBe(201);
    // Moving b to CP-A with a new PIN is checked against a's; its own old hash does not count.
    expect(
      (await put('b', { name: 'B', role: 'officer', checkpoints: ['CP-A', 'CP-B'], pin: '111111' }))
        .statusCode,
    ).toBe(409);
    expect(
      (await put('b', { name: 'B', role: 'officer', checkpoints: ['CP-B'], pin: '111111' })).statusCode,
    ).toBe(200);
    // A disabled officer's PIN is free again.
    await post('a', 'disable');
    expect(
      (await put('c', { name: 'C', role: 'officer', checkpoints: ['CP-A'], pin: '111111' })).statusCode,
    ).toBe(201);
    expect((await list()).officers.map((o) => o.id)).toEqual(['a', 'b', 'c']);
  });

  it('refuses changes from viewers (403) but lets them read', async () => {
    await setUp();
    await addAccount(t, 'xem', 'viewer');
    const viewer = await signIn(t, 'xem');
    expect((await put('o1', { name: 'x', role: 'officer', pin: '123456' }, viewer.write)).statusCode).toBe(
      403,
    );
    expect((await put('o1', { name: 'x', role: 'officer', pin: '123456' })).statusCode).toBe(201);
    expect((await post('o1', 'disable', viewer.write)).statusCode).toBe(403);
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/admin/officers', headers: viewer.cookie });
    expect(read.statusCode).toBe(200);
    expect(read.json<{ officers: OfficerView[] }>().officers[0]).toMatchObject({ id: 'o1', disabled: false });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/officers' })).statusCode).toBe(401);
  });

  it('documents the routes in /openapi.json', async () => {
    await setUp();
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(Object.keys(doc.paths['/api/v1/admin/officers/{id}'] ?? {})).toEqual(['put']);
    expect(doc.paths['/api/v1/admin/officers']?.['get']).toBeDefined();
    expect(doc.paths['/api/v1/admin/officers/{id}/disable']?.['post']).toBeDefined();
    expect(doc.paths['/api/v1/admin/officers/{id}/enable']?.['post']).toBeDefined();
    expect(doc.paths['/api/v1/kiosk/officers']?.['get']).toBeDefined();
  });
});

describe('/api/v1/kiosk/officers', () => {
  it('gives a lane the active officers valid at its checkpoint, and heartbeats the roster version', async () => {
    await setUp();
    const laneA = await enrollKiosk(t, 'CP-A', 'Lane A');
    const laneC = await enrollKiosk(t, 'CP-C', 'Lane C');
    const roster = async (k: { auth: { authorization: string } }) =>
      (await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: k.auth })).json<Roster>();
    // Signed for the lane (verified in config-signature-routes.test.ts).
    expect(await roster(laneA)).toMatchObject({
      version: 0,
      officers: [],
      signature: expect.stringMatching(/^[0-9a-f]{16}:/) as unknown,
    });
    await put('at-a', { name: 'A', role: 'officer', checkpoints: ['CP-A'], pin: '111111' });
    await put('at-ab', { name: 'AB', role: 'supervisor', checkpoints: ['CP-A', 'CP-B'], pin: '222222' });
    await put('everywhere', { name: 'E', role: 'officer', checkpoints: null, pin: '333333' });
    await put('at-b', { name: 'B', role: 'officer', checkpoints: ['CP-B'], pin: '444444' });
    await post('at-a', 'disable');
    const a = await roster(laneA);
    expect(a.version).toBe(5);
    expect(a.officers.map((o) => [o.id, o.name, o.role])).toEqual([
      ['at-ab', 'AB', 'supervisor'],
      ['everywhere', 'E', 'officer'],
    ]);
    expect(laneAccepts('222222', a.officers[0]?.pinHash ?? '')).toBe(true);
    expect((await roster(laneC)).officers.map((o) => o.id)).toEqual(['everywhere']);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: t.admin })).statusCode,
    ).toBe(401);

    const beat = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: laneA.auth,
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: Date.now() },
    });
    expect(beat.statusCode).toBe(200);
    expect(beat.json()).toMatchObject({ officersVersion: 5, checkpoint: { id: 'CP-A' } });
  });

  it('pushes an `officers` event with the new version to connected lanes', async () => {
    await setUp();
    const sent: [string, unknown][] = [];
    t.app.services.hub.addLane('k', 'CP-C', {
      send: (event, data) => sent.push([event, data]),
      comment: () => undefined,
      close: () => undefined,
    });
    await put('o1', { name: 'x', role: 'officer', checkpoints: ['CP-A'], pin: '123456' });
    await post('o1', 'disable');
    await post('o1', 'disable');
    expect(sent).toEqual([
      ['officers', { version: 1 }],
      ['officers', { version: 2 }],
    ]);
  });
});

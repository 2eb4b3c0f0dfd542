import { expect, it, vi } from 'vitest';
import { describeEngines } from '../engines.testkit.js';
import { addCheckpoint, addKiosk, laneStores, secondLaneServer, sql, warmUp } from './lane-stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

describeEngines('KiosksStore', ({ open }) => {
  it('spends an enrollment code once: unknown, expired and used codes enroll nothing', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    const { kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('code-1', 'A', 100, 200);
    await kiosks.addEnrollmentCode('code-old', 'A', 100, 150);
    const lane = { id: 'k1', name: 'Lane 1', tokenHash: 't1' };
    expect(await kiosks.enroll('nope', lane, 120)).toBeNull();
    expect(await kiosks.enroll('code-old', lane, 150)).toBeNull();
    expect(await kiosks.enroll('code-1', lane, 120)).toEqual({ checkpointId: 'A' });
    expect(await kiosks.enroll('code-1', { id: 'k2', name: 'Lane 2', tokenHash: 't2' }, 121)).toBeNull();
    expect(
      await sql(d, 'SELECT code_hash, used_at, kiosk_id FROM enrollment_codes ORDER BY code_hash'),
    ).toEqual([
      { code_hash: 'code-1', used_at: 120, kiosk_id: 'k1' },
      { code_hash: 'code-old', used_at: null, kiosk_id: null },
    ]);
    expect(await kiosks.get('k1')).toEqual({
      id: 'k1',
      name: 'Lane 1',
      checkpointId: 'A',
      enrolledAt: 120,
      revokedAt: null,
      lastHeartbeatAt: null,
      listVersions: { health: null, whitelist: null },
      backlog: null,
      devices: [],
      clockSkewMs: null,
      ackedThrough: 0,
    });
    expect(await kiosks.get('k2')).toBeNull();
  });

  it('refuses a second code with the same hash and a code for an unknown checkpoint', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    const { kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('code-1', 'A', 100, 200);
    await expect(kiosks.addEnrollmentCode('code-1', 'A', 100, 200)).rejects.toThrow();
    await expect(kiosks.addEnrollmentCode('code-2', 'nowhere', 100, 200)).rejects.toThrow();
  });

  it('leaves the code unspent when the lane cannot be stored (a token hash in use)', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k0', 'A', 'taken');
    const { kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('code-1', 'A', 0, 100);
    await expect(kiosks.enroll('code-1', { id: 'k1', name: 'L', tokenHash: 'taken' }, 20)).rejects.toThrow();
    expect(await sql(d, 'SELECT used_at, kiosk_id FROM enrollment_codes')).toEqual([
      { used_at: null, kiosk_id: null },
    ]);
    expect(await kiosks.enroll('code-1', { id: 'k1', name: 'L', tokenHash: 'fresh' }, 21)).toEqual({
      checkpointId: 'A',
    });
  });

  it('one code raced by two servers enrolls exactly one lane', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      await one.kiosks.addEnrollmentCode('code-race', 'A', 0, 1_000);
      await warmUp([one, two.stores]);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).kiosks.enroll(
            'code-race',
            { id: `k${String(i)}`, name: `Lane ${String(i)}`, tokenHash: `t${String(i)}` },
            10,
          ),
        ),
      );
      expect(results.filter((r) => r !== null)).toEqual([{ checkpointId: 'A' }]);
      const winner = results.findIndex((r) => r !== null);
      expect(await sql(d, 'SELECT id FROM kiosks')).toEqual([{ id: `k${String(winner)}` }]);
      expect(await sql(d, 'SELECT kiosk_id FROM enrollment_codes')).toEqual([
        { kiosk_id: `k${String(winner)}` },
      ]);
    } finally {
      await two.close();
    }
  });

  it('finds a lane by its token hash, revoked ones too', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k1', 'A', 'h1');
    const { kiosks } = laneStores(d);
    expect(await kiosks.findByTokenHash('h1')).toEqual({
      id: 'k1',
      checkpointId: 'A',
      tokenHash: 'h1',
      revoked: false,
    });
    expect(await kiosks.findByTokenHash('h2')).toBeNull();
    expect(await kiosks.findByTokenHash('h1\0')).toBeNull();
    expect(await kiosks.revoke('k1', 5)).toBe(true);
    expect(await kiosks.findByTokenHash('h1')).toEqual({
      id: 'k1',
      checkpointId: 'A',
      tokenHash: 'h1',
      revoked: true,
    });
  });

  it('revokes idempotently, keeping the first time; false for no such lane', async () => {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addKiosk(d, 'k1', 'A');
    const { kiosks } = laneStores(d);
    expect(await kiosks.revoke('k1', 5)).toBe(true);
    expect(await kiosks.revoke('k1', 9)).toBe(true);
    expect((await kiosks.get('k1'))?.revokedAt).toBe(5);
    expect(await kiosks.revoke('nope', 9)).toBe(false);
    expect(await kiosks.revoke('k\0', 9)).toBe(false);
    expect(await kiosks.get('k\0')).toBeNull();
  });

  it('records heartbeats and lists lanes by checkpoint, name and id in byte order', async () => {
    const d = await open();
    await addCheckpoint(d, 'B');
    await addCheckpoint(d, 'a');
    const { kiosks } = laneStores(d);
    await kiosks.addEnrollmentCode('c1', 'a', 0, 100);
    await kiosks.addEnrollmentCode('c2', 'B', 0, 100);
    await kiosks.addEnrollmentCode('c3', 'B', 0, 100);
    await kiosks.addEnrollmentCode('c4', 'B', 0, 100);
    await kiosks.enroll('c1', { id: 'k1', name: 'x', tokenHash: 't1' }, 1);
    await kiosks.enroll('c2', { id: 'k2', name: 'lane', tokenHash: 't2' }, 1);
    await kiosks.enroll('c3', { id: 'k3', name: 'Lane', tokenHash: 't3' }, 1);
    await kiosks.enroll('c4', { id: 'k0', name: 'lane', tokenHash: 't4' }, 1);
    const devices = [
      { name: 'scanner', kind: 'serial', status: 'ok' },
      { name: 'camera', kind: 'camera', status: 'missing' },
    ];
    await kiosks.heartbeat('k2', { health: 7, whitelist: 3, backlog: 12, devices, clockSkewMs: -40 }, 50);
    await kiosks.heartbeat('nope', { health: 1, whitelist: 1, backlog: 0, devices: [], clockSkewMs: 0 }, 50);
    const list = await kiosks.list();
    expect(list.map((k) => k.id)).toEqual(['k3', 'k0', 'k2', 'k1']);
    expect(list[2]).toEqual({
      id: 'k2',
      name: 'lane',
      checkpointId: 'B',
      enrolledAt: 1,
      revokedAt: null,
      lastHeartbeatAt: 50,
      listVersions: { health: 7, whitelist: 3 },
      backlog: 12,
      devices,
      clockSkewMs: -40,
      ackedThrough: 0,
    });
    await kiosks.heartbeat('k2', { health: 8, whitelist: 3, backlog: 0, devices: [], clockSkewMs: 0 }, 60);
    expect(await kiosks.get('k2')).toMatchObject({
      lastHeartbeatAt: 60,
      listVersions: { health: 8 },
      devices: [],
    });
  });

  it('answers the unrevoked lanes at a set of checkpoints', async () => {
    const d = await open();
    for (const cp of ['A', 'B', 'C']) await addCheckpoint(d, cp);
    await addKiosk(d, 'a1', 'A');
    await addKiosk(d, 'a2', 'A');
    await addKiosk(d, 'b1', 'B');
    await addKiosk(d, 'c1', 'C');
    const { kiosks } = laneStores(d);
    await kiosks.revoke('a2', 5);
    expect((await kiosks.unrevokedAt(['A', 'B'])).sort()).toEqual(['a1', 'b1']);
    expect(await kiosks.unrevokedAt(['C'])).toEqual(['c1']);
    expect(await kiosks.unrevokedAt(['Z', 'C\0'])).toEqual([]);
    expect(await kiosks.unrevokedAt([])).toEqual([]);
  });
});

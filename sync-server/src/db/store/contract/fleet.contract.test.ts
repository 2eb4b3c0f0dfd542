import { expect, it, vi } from 'vitest';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import {
  addCheckpoint,
  addKiosk,
  auditRows,
  countRows,
  laneStores,
  secondLaneServer,
  sql,
  warmUp,
} from './lane-stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

/** Checkpoint A in scope HCM with lane k1, checkpoint C in no scope (`fleet`) with lane k2. */
async function seed(d: EngineDb): Promise<void> {
  await addCheckpoint(d, 'A', 'HCM');
  await addCheckpoint(d, 'C', null);
  await addKiosk(d, 'k1', 'A');
  await addKiosk(d, 'k2', 'C');
}

/** Makes every audit insert of `action` fail, in either engine (a trigger). */
async function failAuditOf(d: EngineDb, action: string): Promise<void> {
  if (d.engine === 'sqlite') {
    await sql(
      d,
      `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.action = '${action}'
       BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    return;
  }
  await sql(
    d,
    `CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'disk full'; END $$`,
  );
  await sql(
    d,
    `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW
     WHEN (NEW.action = '${action}') EXECUTE FUNCTION fail_audit()`,
  );
}

describeEngines('FleetStore', ({ open }) => {
  it('stores an enrollment code with its audit record', async () => {
    const d = await open();
    await seed(d);
    const { fleet, kiosks } = laneStores(d);
    await fleet.createEnrollmentCode('code-1', 'A', 100, 700, 'alice');
    expect(
      await sql(d, 'SELECT code_hash, checkpoint_id, created_at, expires_at, used_at FROM enrollment_codes'),
    ).toEqual([{ code_hash: 'code-1', checkpoint_id: 'A', created_at: 100, expires_at: 700, used_at: null }]);
    expect(await auditRows(d)).toEqual([
      { at: 100, actor: 'alice', action: 'enrollment.create', target: 'A', details: { expiresAt: 700 } },
    ]);
    expect(await kiosks.enroll('code-1', { id: 'k9', name: 'L9', tokenHash: 't9' }, 200)).toEqual({
      checkpointId: 'A',
    });
  });

  it('writes neither code nor record when one of them fails', async () => {
    const d = await open();
    await seed(d);
    const { fleet } = laneStores(d);
    await expect(fleet.createEnrollmentCode('code-1', 'nowhere', 100, 700, 'alice')).rejects.toThrow();
    expect(await auditRows(d)).toEqual([]);
    await failAuditOf(d, 'enrollment.create');
    await expect(fleet.createEnrollmentCode('code-2', 'A', 100, 700, 'alice')).rejects.toThrow('disk full');
    expect(await countRows(d, 'enrollment_codes')).toBe(0);
  });

  it('revokes the lane and rotates its scope’s list key, once', async () => {
    const d = await open();
    await seed(d);
    const { fleet, listKeys, kiosks } = laneStores(d);
    const hcm = await listKeys.current('HCM');
    const defaultScope = await listKeys.current('fleet');
    const first = await fleet.revokeLane('k1', 50, 'alice');
    expect(first?.rotated).toMatchObject({ scope: 'HCM', id: defaultScope.id + 1 });
    expect(await listKeys.current('HCM')).toEqual(first?.rotated);
    expect(await listKeys.byId(hcm.id)).toEqual(hcm);
    expect(await listKeys.current('fleet')).toEqual(defaultScope);
    expect(await fleet.revokeLane('k1', 60, 'alice')).toEqual({ rotated: null });
    expect(await fleet.revokeLane('nope', 70, 'alice')).toBeNull();
    expect(await fleet.revokeLane('k\0', 70, 'alice')).toBeNull();
    expect((await kiosks.get('k1'))?.revokedAt).toBe(50);
    expect((await kiosks.get('k2'))?.revokedAt).toBeNull();
    expect(await auditRows(d)).toEqual([
      { at: 50, actor: 'alice', action: 'kiosk.revoke', target: 'k1', details: null },
      {
        at: 50,
        actor: 'alice',
        action: 'lists.rotate-key',
        target: 'HCM',
        details: { keyId: first?.rotated?.id, reason: 'kiosk.revoke', kioskId: 'k1' },
      },
      { at: 60, actor: 'alice', action: 'kiosk.revoke', target: 'k1', details: null },
    ]);
    expect(await sql(d, "SELECT reason, retired_at FROM list_keys WHERE scope = 'HCM' ORDER BY id")).toEqual([
      { reason: 'created', retired_at: 50 },
      { reason: 'kiosk.revoke', retired_at: null },
    ]);
  });

  it('rotates the default scope for a lane whose checkpoint has none, making its first key if needed', async () => {
    const d = await open();
    await seed(d);
    const { fleet, listKeys } = laneStores(d);
    const r = await fleet.revokeLane('k2', 5, 'bob');
    expect(r?.rotated).toMatchObject({ id: 1, scope: 'fleet' });
    expect(await listKeys.current('fleet')).toEqual(r?.rotated);
  });

  it('writes nothing when the audit record fails: the lane stays enrolled, the key current', async () => {
    const d = await open();
    await seed(d);
    const { fleet, listKeys } = laneStores(d);
    const hcm = await listKeys.current('HCM');
    await failAuditOf(d, 'lists.rotate-key');
    await expect(fleet.revokeLane('k1', 50, 'alice')).rejects.toThrow('disk full');
    expect(await sql(d, "SELECT revoked_at FROM kiosks WHERE id = 'k1'")).toEqual([{ revoked_at: null }]);
    expect(await listKeys.current('HCM')).toEqual(hcm);
    expect(await countRows(d, 'list_keys')).toBe(1);
    expect(await countRows(d, 'audit_log')).toBe(0);
  });

  it('one lane revoked by two servers at once: every call answers, the scope rotates once', async () => {
    const d = await open();
    await seed(d);
    const one = laneStores(d);
    const two = await secondLaneServer(d);
    try {
      await one.listKeys.current('HCM');
      await warmUp([one, two.stores]);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).fleet.revokeLane('k1', 100 + i, 'alice'),
        ),
      );
      const rotated = results.filter((r) => r?.rotated);
      expect(rotated).toHaveLength(1);
      expect(results.filter((r) => r !== null && r.rotated === null)).toHaveLength(7);
      expect(await countRows(d, 'list_keys')).toBe(2);
      const actions = (await auditRows(d)).map((r) => r.action);
      expect(actions.filter((a) => a === 'kiosk.revoke')).toHaveLength(8);
      expect(actions.filter((a) => a === 'lists.rotate-key')).toHaveLength(1);
      expect(await one.listKeys.current('HCM')).toEqual(rotated[0]?.rotated);
    } finally {
      await two.close();
    }
  });
});

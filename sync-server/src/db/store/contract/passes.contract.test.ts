import { expect, it, vi } from 'vitest';
import type { DeclarationRecord, NewPassKey, PassesStore } from '../../../passes/passes-store.js';
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { PgPassesStore } from '../../pg/stores/pg-passes.js';
import { PassesRepository } from '../../repositories/passes-repository.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 });

function passesOf(d: EngineDb): PassesStore {
  return d.engine === 'sqlite' ? new PassesRepository(d.db) : new PgPassesStore(d.pool);
}

async function secondServer(d: EngineDb): Promise<{ passes: PassesStore; close: () => Promise<void> }> {
  if (d.engine === 'sqlite') return { passes: passesOf(d), close: () => Promise.resolve() };
  const url = (d.pool as PgPool & { options: { connectionString: string } }).options.connectionString;
  const pool = await openPg({ url, applicationName: 'checkpoint-server-2' });
  return { passes: new PgPassesStore(pool), close: () => pool.end() };
}

let made = 0;
const key = (validFrom = 0): NewPassKey => ({
  publicKey: `pub-${++made}`,
  privateKey: `priv-${made}`,
  validFrom,
});

const declaration = (id: string, passId: string | null, validUntil: number): DeclarationRecord => ({
  id,
  passId,
  passKeyId: passId === null ? null : 1,
  createdAt: 1,
  subjectKey: -5_000_000_000_000_000_000n,
  personalId: '001099012345',
  fullName: 'A',
  phone: '0900000000',
  from: { province: 79, district: 760, ward: null },
  to: { province: 1, district: null, ward: 1 },
  plate: null,
  purpose: 'work',
  travelDate: '2021-09-18',
  validFrom: 10,
  validUntil,
});

const retire = (validUntil: number, withdraw = false) => ({ validUntil, withdraw, reuseBefore: 0 });

describeEngines('PassesStore', ({ open }) => {
  it('makes the first key once, even when two servers start together', async () => {
    const d = await open();
    const a = passesOf(d);
    const b = await secondServer(d);
    try {
      const [x, y] = await Promise.all([a.ensureKey(() => key(5), 5), b.passes.ensureKey(() => key(5), 5)]);
      expect(x).toEqual(y);
      expect(x).toHaveLength(1);
      expect(x[0]).toMatchObject({
        keyId: 1,
        validFrom: 5,
        validUntil: null,
        withdrawnAt: null,
        createdAt: 5,
      });
      expect(await a.version()).toBe(0);
    } finally {
      await b.close();
    }
  });

  it('rotates: the old key gets its period end, the new one the next id, the version rises; audited', async () => {
    const d = await open();
    const s = passesOf(d);
    await s.ensureKey(() => key(), 0);
    const r = await s.rotateKey(
      100,
      () => key(100),
      retire(500),
      (x) => ({
        at: 100,
        actor: 'admin',
        action: 'pass.key_rotate',
        target: String(x.key.keyId),
      }),
    );
    expect(r).toMatchObject({
      kind: 'rotated',
      previous: 1,
      version: 1,
      key: { keyId: 2, validUntil: null },
    });
    const c = await s.rotateKey(200, () => key(200), retire(200, true));
    expect(c).toMatchObject({ kind: 'rotated', previous: 2, version: 2, key: { keyId: 3 } });
    expect((await s.keys()).map((k) => [k.keyId, k.validUntil, k.withdrawnAt])).toEqual([
      [1, 500, null],
      [2, 200, 200],
      [3, null, null],
    ]);
    // The directory leaves the withdrawn key out.
    expect((await s.directory(0)).keys.map((k) => k.keyId)).toEqual([1, 3]);
    const audit =
      d.engine === 'sqlite'
        ? d.db.prepare("SELECT target FROM audit_log WHERE action = 'pass.key_rotate'").all()
        : (await d.pool.query("SELECT target FROM audit_log WHERE action = 'pass.key_rotate'")).rows;
    expect(audit).toEqual([{ target: '2' }]);
  });

  it('withdraws any key by id: a retired one, the current one (a new key becomes current), once; audited', async () => {
    const d = await open();
    const s = passesOf(d);
    await s.ensureKey(() => key(), 0);
    await s.rotateKey(100, () => key(100), retire(500));
    // Key 1 is retired (not current): withdrawing it changes no current key.
    expect(await s.withdrawKey(1, 150, () => key(150), 0, 'admin')).toEqual({
      kind: 'withdrawn',
      keyId: 1,
      withdrawnAt: 150,
      already: false,
      replacedBy: null,
      version: 2,
    });
    // Again: nothing changes, the version stays (still audited).
    expect(await s.withdrawKey(1, 160, () => key(160), 0, 'admin')).toMatchObject({
      already: true,
      withdrawnAt: 150,
      version: 2,
    });
    expect(await s.withdrawKey(9, 160, () => key(160), 0, 'admin')).toEqual({ kind: 'not_found' });
    // The current key 2: withdrawn, key 3 becomes current.
    expect(await s.withdrawKey(2, 200, () => key(200), 0, 'admin')).toEqual({
      kind: 'withdrawn',
      keyId: 2,
      withdrawnAt: 200,
      already: false,
      replacedBy: 3,
      version: 3,
    });
    expect((await s.keys()).map((k) => [k.keyId, k.validUntil, k.withdrawnAt])).toEqual([
      [1, 500, 150],
      [2, 200, 200],
      [3, null, null],
    ]);
    expect(await s.directory(0)).toMatchObject({ version: 3, keys: [{ keyId: 3 }] });
    const audit =
      d.engine === 'sqlite'
        ? d.db
            .prepare("SELECT target, details FROM audit_log WHERE action = 'pass.key_withdraw' ORDER BY id")
            .all()
        : (
            await d.pool.query(
              "SELECT target, details::text AS details FROM audit_log WHERE action = 'pass.key_withdraw' ORDER BY id",
            )
          ).rows;
    expect(
      (audit as { target: string; details: string }[]).map((a) => [
        a.target,
        JSON.parse(a.details) as unknown,
      ]),
    ).toEqual([
      ['1', { already: false, replacedBy: null, version: 2 }],
      ['1', { already: true, replacedBy: null, version: 2 }],
      ['2', { already: false, replacedBy: 3, version: 3 }],
    ]);
  });

  it('withdrawing the current key when no id is free for its successor changes nothing', async () => {
    const d = await open();
    const s = passesOf(d);
    await s.ensureKey(() => key(), 0);
    for (let i = 2; i <= 255; i++) await s.rotateKey(i, () => key(i), retire(i + 1000));
    expect(await s.withdrawKey(255, 300, () => key(300), 0, 'admin')).toEqual({ kind: 'no_key_id' });
    expect(await s.version()).toBe(254);
    expect((await s.keys()).find((k) => k.keyId === 255)).toMatchObject({
      validUntil: null,
      withdrawnAt: null,
    });
  });

  it('gives a key id again only once all 255 are held, to a spent key; else refuses', async () => {
    const d = await open();
    const s = passesOf(d);
    await s.ensureKey(() => key(), 0);
    for (let i = 2; i <= 255; i++) {
      const r = await s.rotateKey(i, () => key(i), { validUntil: i + 1000, withdraw: false, reuseBefore: 0 });
      expect(r).toMatchObject({ kind: 'rotated', key: { keyId: i } });
    }
    // Key 1 was retired at 2 with its period ending at 1002: nothing is spent before then.
    expect(
      await s.rotateKey(300, () => key(300), { validUntil: 1300, withdraw: false, reuseBefore: 1002 }),
    ).toEqual({
      kind: 'no_key_id',
    });
    expect(await s.version()).toBe(254);
    const r = await s.rotateKey(300, () => key(300), {
      validUntil: 1300,
      withdraw: false,
      reuseBefore: 1003,
    });
    expect(r).toMatchObject({
      kind: 'rotated',
      key: { keyId: 1, validFrom: 300 },
      previous: 255,
      version: 255,
    });
    expect(await s.keys()).toHaveLength(255);
  });

  it('stores declarations, revokes a pass once (version, audit each time), lists revocations until they expire', async () => {
    const d = await open();
    const s = passesOf(d);
    await s.addDeclaration(declaration('aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa', 1000));
    await s.addDeclaration(declaration('bbbbbbbbbbbbbbbb', 'bbbbbbbbbbbbbbbb', 2000));
    await s.addDeclaration(declaration('cccccccccccccccc', null, 2000));
    expect(await s.revoke('aaaaaaaaaaaaaaaa', 50, 'admin')).toEqual({
      kind: 'revoked',
      passId: 'aaaaaaaaaaaaaaaa',
      revokedAt: 50,
      until: 1000,
      already: false,
      version: 1,
    });
    expect(await s.revoke('aaaaaaaaaaaaaaaa', 60, 'admin')).toMatchObject({
      revokedAt: 50,
      already: true,
      version: 1,
    });
    expect(await s.revoke('bbbbbbbbbbbbbbbb', 70, 'admin')).toMatchObject({ version: 2 });
    expect(await s.revoke('cccccccccccccccc', 70, 'admin')).toEqual({ kind: 'not_found' });
    expect((await s.directory(500)).revoked).toEqual([
      { passId: 'aaaaaaaaaaaaaaaa', until: 1000 },
      { passId: 'bbbbbbbbbbbbbbbb', until: 2000 },
    ]);
    expect(await s.directory(1500)).toEqual({
      version: 2,
      keys: [],
      revoked: [{ passId: 'bbbbbbbbbbbbbbbb', until: 2000 }],
    });
    const subjectKeys =
      d.engine === 'sqlite'
        ? d.db.prepare('SELECT subject_key FROM declarations').safeIntegers(true).pluck().all()
        : (await d.pool.query<{ k: string }>('SELECT subject_key::text AS k FROM declarations')).rows.map(
            (x) => BigInt(x.k),
          );
    expect(subjectKeys).toEqual([
      -5_000_000_000_000_000_000n,
      -5_000_000_000_000_000_000n,
      -5_000_000_000_000_000_000n,
    ]);
  });
});

import { expect, it, vi } from 'vitest';
import type { AccountRecord } from '../../repositories/accounts-repository.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import { leafStores, secondServer, type LeafStores } from './stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

const POLICY = { maxFailures: 5, lockMs: 900 };

async function setup(d: EngineDb): Promise<LeafStores & { a: AccountRecord }> {
  const stores = leafStores(d);
  const a = await stores.accounts.create(
    { username: 'Lan.Nguyen', displayName: 'Lan', role: 'admin', passwordHash: 'h1' },
    10,
  );
  if (a === null) throw new Error('not created');
  return { ...stores, a };
}

const session = (tokenHash: string, expiresAt = 10_000) => ({
  tokenHash,
  csrfToken: `c-${tokenHash}`,
  expiresAt,
});
const signInOpts = { ip: '127.0.0.1', previousTokenHash: null, rehashed: null };

describeEngines('AccountsStore', ({ open }) => {
  // Ported from accounts-repository.test.ts.
  it('stores usernames lowercase, finds them in any case and refuses duplicates', async () => {
    const { accounts: repo, a } = await setup(await open());
    expect(a).toMatchObject({
      username: 'lan.nguyen',
      role: 'admin',
      createdAt: 10,
      updatedAt: 10,
      failedLogins: 0,
    });
    expect(a).toMatchObject({ disabledAt: null, lockedUntil: null, lastLoginAt: null, displayName: 'Lan' });
    expect((await repo.get('LAN.NGUYEN'))?.id).toBe(a.id);
    expect(await repo.get('lan.nguyen')).toEqual(a);
    expect(await repo.getById(a.id)).toEqual(a);
    expect(await repo.get('nobody')).toBeNull();
    expect(await repo.getById(a.id + 1000)).toBeNull();
    expect(
      await repo.create({ username: 'lan.NGUYEN', displayName: 'x', role: 'viewer', passwordHash: 'h' }, 11),
    ).toBeNull();
    expect(await repo.passwordHash(a.id)).toBe('h1');
    expect(await repo.passwordHash(a.id + 1000)).toBeNull();
    expect(JSON.stringify(await repo.list())).not.toContain('h1');
  });

  it('lists accounts by username and counts enabled admins', async () => {
    const { accounts, a } = await setup(await open());
    await accounts.create({ username: 'Minh', displayName: 'M', role: 'viewer', passwordHash: 'h' }, 11);
    await accounts.create({ username: 'an_b', displayName: 'A', role: 'admin', passwordHash: 'h' }, 12);
    await accounts.create({ username: 'an.c', displayName: 'A', role: 'admin', passwordHash: 'h' }, 13);
    expect((await accounts.list()).map((x) => x.username)).toEqual(['an.c', 'an_b', 'lan.nguyen', 'minh']);
    expect(await accounts.countActiveAdmins()).toBe(3);
    await accounts.update(a.id, { disabled: true }, 20);
    expect(await accounts.countActiveAdmins()).toBe(2);
  });

  it('locks on the fifth failure in a row, restarting the count; a success clears it', async () => {
    const { accounts: repo, a } = await setup(await open());
    for (let i = 0; i < 4; i++) expect(await repo.recordFailure(a.id, 100, 5, 900)).toBeNull();
    expect((await repo.getById(a.id))?.failedLogins).toBe(4);
    expect(await repo.recordFailure(a.id, 100, 5, 900)).toBe(1000);
    expect(await repo.getById(a.id)).toMatchObject({ failedLogins: 0, lockedUntil: 1000 });
    await repo.recordFailure(a.id, 2000, 5, 900);
    expect(await repo.getById(a.id)).toMatchObject({ failedLogins: 1, lockedUntil: 1000 });
    await repo.recordSuccess(a.id, 2001);
    expect(await repo.getById(a.id)).toMatchObject({ failedLogins: 0, lockedUntil: null, lastLoginAt: 2001 });
    expect(await repo.recordFailure(a.id + 1000, 1, 5, 900)).toBeNull();
    // A limit of one locks on every failure.
    expect(await repo.recordFailure(a.id, 3000, 1, 10)).toBe(3010);
    expect(await repo.recordFailure(a.id, 3001, 1, 10)).toBe(3011);
  });

  it('updates only what is given; re-enabling or a new password clears a lock', async () => {
    const { accounts: repo, a } = await setup(await open());
    await repo.recordFailure(a.id, 0, 1, 900);
    expect(await repo.update(a.id, { disabled: true }, 50)).toMatchObject({
      displayName: 'Lan',
      disabledAt: 50,
      lockedUntil: 900,
    });
    expect((await repo.update(a.id, { disabled: true }, 60))?.disabledAt).toBe(50);
    expect(await repo.countActiveAdmins()).toBe(0);
    expect(await repo.update(a.id, { disabled: false, displayName: 'Lan N.' }, 70)).toMatchObject({
      displayName: 'Lan N.',
      disabledAt: null,
      lockedUntil: null,
      updatedAt: 70,
    });
    expect(await repo.countActiveAdmins()).toBe(1);
    await repo.recordFailure(a.id, 0, 1, 900);
    expect(await repo.update(a.id, { role: 'viewer', passwordHash: 'h2' }, 80)).toMatchObject({
      role: 'viewer',
      lockedUntil: null,
      failedLogins: 0,
    });
    expect(await repo.countActiveAdmins()).toBe(0);
    expect(await repo.passwordHash(a.id)).toBe('h2');
    expect(await repo.update(a.id + 1000, { displayName: 'x' }, 90)).toBeNull();
  });

  it('keeps sessions by hash, ends all but one, and drops expired ones', async () => {
    const { accounts: repo, a } = await setup(await open());
    for (const [h, exp] of [
      ['s1', 100],
      ['s2', 200],
      ['s3', 300],
    ] as const)
      await repo.createSession({
        tokenHash: h,
        accountId: a.id,
        csrfToken: `c-${h}`,
        now: 0,
        expiresAt: exp,
      });
    expect(await repo.findSession('s1')).toEqual({
      tokenHash: 's1',
      csrfToken: 'c-s1',
      createdAt: 0,
      lastSeenAt: 0,
      expiresAt: 100,
      account: a,
    });
    expect(await repo.findSession('nope')).toBeNull();
    await repo.touchSession('s1', 50, 150);
    expect(await repo.findSession('s1')).toMatchObject({ lastSeenAt: 50, expiresAt: 150 });
    expect(await repo.countSessions(a.id, 199)).toBe(2);
    expect(await repo.deleteExpiredSessions(150)).toBe(1);
    expect(await repo.findSession('s1')).toBeNull();
    expect(await repo.countSessions(a.id, 0)).toBe(2);
    expect(await repo.deleteSessionsOf(a.id, 's3')).toBe(1);
    expect(await repo.findSession('s3')).not.toBeNull();
    await repo.deleteSession('s3');
    expect(await repo.findSession('s3')).toBeNull();
    expect(await repo.deleteSessionsOf(a.id)).toBe(0);
    expect(await repo.countSessions(a.id, 0)).toBe(0);
  });

  it('add audits account.create; a taken username adds nothing and audits nothing', async () => {
    const { accounts, audit } = await setup(await open());
    const m = await accounts.add(
      { username: 'Minh', displayName: 'Minh T', role: 'viewer', passwordHash: 'p' },
      20,
      'lan',
    );
    expect(m).toMatchObject({ username: 'minh', role: 'viewer' });
    expect(
      await accounts.add({ username: 'MINH', displayName: 'x', role: 'admin', passwordHash: 'p' }, 21, 'lan'),
    ).toBeNull();
    expect(await audit.list({ limit: 10 })).toMatchObject([
      {
        at: 20,
        actor: 'lan',
        action: 'account.create',
        target: 'Minh',
        details: { displayName: 'Minh T', role: 'viewer' },
      },
    ]);
  });

  it('change: refuses unknown accounts and the last active admin; a role, state or password change ends sessions', async () => {
    const { accounts, audit, a } = await setup(await open());
    expect(await accounts.change(a.id + 1000, { displayName: 'x' }, 20, 'lan', ['displayName'])).toEqual({
      ok: false,
      error: 'unknown_account',
    });
    expect(await accounts.change(a.id, { role: 'viewer' }, 20, 'lan', ['role'])).toEqual({
      ok: false,
      error: 'last_admin',
    });
    expect(await accounts.change(a.id, { disabled: true }, 20, 'lan', ['disabled'])).toEqual({
      ok: false,
      error: 'last_admin',
    });
    expect(await audit.list({ limit: 10 })).toEqual([]);
    const m = await accounts.create(
      { username: 'minh', displayName: 'M', role: 'admin', passwordHash: 'h' },
      11,
    );
    if (m === null) throw new Error('not created');
    await accounts.createSession({
      tokenHash: 'm1',
      accountId: m.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 100,
    });
    await accounts.createSession({
      tokenHash: 'm2',
      accountId: m.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 100,
    });
    const renamed = await accounts.change(m.id, { displayName: 'Minh' }, 30, 'lan', ['displayName']);
    expect(renamed).toMatchObject({ ok: true, value: { displayName: 'Minh', updatedAt: 30 } });
    expect(await accounts.countSessions(m.id, 0)).toBe(2);
    const demoted = await accounts.change(m.id, { role: 'viewer', displayName: 'M.' }, 40, 'lan', [
      'role',
      'displayName',
    ]);
    expect(demoted).toMatchObject({ ok: true, value: { role: 'viewer', displayName: 'M.' } });
    expect(await accounts.countSessions(m.id, 0)).toBe(0);
    expect((await audit.list({ limit: 10 })).map((r) => [r.action, r.target, r.details])).toEqual([
      [
        'account.update',
        'minh',
        { changed: ['role', 'displayName'], displayName: 'M.', role: 'viewer', endedSessions: 2 },
      ],
      ['account.update', 'minh', { changed: ['displayName'], displayName: 'Minh', endedSessions: 0 }],
    ]);
    // The same role again is no role change: sessions stay.
    await accounts.createSession({
      tokenHash: 'm3',
      accountId: m.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 100,
    });
    await accounts.change(m.id, { role: 'viewer' }, 50, 'lan', ['role']);
    expect(await accounts.countSessions(m.id, 0)).toBe(1);
    await accounts.change(m.id, { passwordHash: 'new' }, 60, 'lan', ['password']);
    expect(await accounts.countSessions(m.id, 0)).toBe(0);
    expect(await accounts.passwordHash(m.id)).toBe('new');
    // A disabled admin is not counted: the last enabled one stays protected.
    expect(await accounts.change(a.id, { disabled: true }, 70, 'x', ['disabled'])).toEqual({
      ok: false,
      error: 'last_admin',
    });
  });

  it('recordWrongPassword audits each failure and the lock', async () => {
    const { accounts, audit, a } = await setup(await open());
    for (let i = 0; i < 4; i++)
      expect(await accounts.recordWrongPassword(a, 100 + i, '10.0.0.1', POLICY)).toBeNull();
    expect(await accounts.recordWrongPassword(a, 200, '10.0.0.1', POLICY)).toBe(1100);
    expect(await accounts.getById(a.id)).toMatchObject({ failedLogins: 0, lockedUntil: 1100 });
    const records = await audit.list({ limit: 10 });
    expect(records.map((r) => r.action)).toEqual([
      'session.locked',
      'session.login_failed',
      'session.login_failed',
      'session.login_failed',
      'session.login_failed',
      'session.login_failed',
    ]);
    expect(records[0]).toMatchObject({
      at: 200,
      actor: '10.0.0.1',
      target: 'lan.nguyen',
      details: { until: 1100 },
    });
    expect(records[1]).toMatchObject({ details: { reason: 'bad_password' }, target: 'lan.nguyen' });
  });

  it('signIn re-reads the account: refuses a disabled or locked one and stores nothing', async () => {
    const { accounts, audit, a } = await setup(await open());
    await accounts.recordFailure(a.id, 100, 1, 900); // locked by another request meanwhile
    expect(await accounts.signIn(a, 500, signInOpts, session('t1'))).toEqual({
      ok: false,
      error: { reason: 'locked', until: 1000 },
    });
    expect(await accounts.signIn(a, 1000, signInOpts, session('t1'))).toMatchObject({ ok: true });
    await accounts.update(a.id, { disabled: true }, 1100);
    expect(await accounts.signIn(a, 1200, signInOpts, session('t2'))).toEqual({
      ok: false,
      error: { reason: 'unusable' },
    });
    expect(await accounts.signIn({ ...a, id: a.id + 1000 }, 1200, signInOpts, session('t3'))).toEqual({
      ok: false,
      error: { reason: 'unusable' },
    });
    expect(await accounts.findSession('t2')).toBeNull();
    expect(await accounts.findSession('t3')).toBeNull();
    expect((await audit.list({ limit: 10 })).map((r) => r.action)).toEqual(['session.login']);
  });

  it('signIn ends the previous session, clears failures and expired sessions, stores a rehash and the session', async () => {
    const { accounts, audit, a } = await setup(await open());
    await accounts.createSession({
      tokenHash: 'old',
      accountId: a.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 5000,
    });
    await accounts.createSession({
      tokenHash: 'expired',
      accountId: a.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 1000,
    });
    await accounts.createSession({
      tokenHash: 'other',
      accountId: a.id,
      csrfToken: 'c',
      now: 0,
      expiresAt: 5000,
    });
    await accounts.recordFailure(a.id, 0, 5, 900);
    expect(
      await accounts.signIn(a, 1000, { ...signInOpts, previousTokenHash: 'old' }, session('new', 4000)),
    ).toEqual({
      ok: true,
      value: null,
    });
    expect(await accounts.findSession('old')).toBeNull();
    expect(await accounts.findSession('expired')).toBeNull();
    expect(await accounts.findSession('other')).not.toBeNull();
    expect(await accounts.findSession('new')).toMatchObject({
      csrfToken: 'c-new',
      createdAt: 1000,
      lastSeenAt: 1000,
      expiresAt: 4000,
      account: { id: a.id, failedLogins: 0, lastLoginAt: 1000, updatedAt: 10 },
    });
    expect(await accounts.passwordHash(a.id)).toBe('h1');
    expect(await audit.list({ limit: 10 })).toMatchObject([
      {
        at: 1000,
        actor: 'lan.nguyen',
        action: 'session.login',
        target: 'lan.nguyen',
        details: { ip: '127.0.0.1' },
      },
    ]);
    await accounts.signIn(a, 2000, { ...signInOpts, rehashed: 'h-new' }, session('newer'));
    expect(await accounts.passwordHash(a.id)).toBe('h-new');
    expect(await accounts.getById(a.id)).toMatchObject({ updatedAt: 2000, lastLoginAt: 2000 });
  });

  it('signOut and changeOwnPassword end sessions with their audit records', async () => {
    const { accounts, audit, a } = await setup(await open());
    for (const h of ['s1', 's2', 's3'])
      await accounts.createSession({
        tokenHash: h,
        accountId: a.id,
        csrfToken: 'c',
        now: 0,
        expiresAt: 5000,
      });
    await accounts.signOut('s1', 'lan.nguyen', 100);
    expect(await accounts.findSession('s1')).toBeNull();
    await accounts.recordFailure(a.id, 0, 5, 900);
    await accounts.changeOwnPassword(a, 'h2', 's2', 200);
    expect(await accounts.findSession('s2')).not.toBeNull();
    expect(await accounts.findSession('s3')).toBeNull();
    expect(await accounts.passwordHash(a.id)).toBe('h2');
    expect(await accounts.getById(a.id)).toMatchObject({ updatedAt: 200, failedLogins: 0 });
    expect(
      (await audit.list({ limit: 10 })).map((r) => [r.at, r.actor, r.action, r.target, r.details]),
    ).toEqual([
      [200, 'lan.nguyen', 'session.password', 'lan.nguyen', { endedSessions: 1 }],
      [100, 'lan.nguyen', 'session.logout', 'lan.nguyen', null],
    ]);
  });

  it('parallel wrong passwords on two servers lock at exactly every fifth, each failure audited', async () => {
    const d = await open();
    const { accounts, audit, a } = await setup(d);
    const two = await secondServer(d);
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? accounts : two.stores.accounts).recordWrongPassword(a, 100, 'ip', POLICY),
        ),
      );
      expect(results.filter((r) => r !== null)).toEqual([1000, 1000]);
      expect(await accounts.getById(a.id)).toMatchObject({ failedLogins: 2, lockedUntil: 1000 });
      const records = await audit.list({ limit: 100 });
      expect(records.filter((r) => r.action === 'session.login_failed')).toHaveLength(12);
      expect(records.filter((r) => r.action === 'session.locked')).toHaveLength(2);
    } finally {
      await two.close();
    }
  });

  it('a wrong password racing a sign-in on another server: the lock it sets is seen', async () => {
    const d = await open();
    const { accounts, a } = await setup(d);
    const two = await secondServer(d);
    try {
      for (let i = 0; i < 4; i++) await accounts.recordWrongPassword(a, 100, 'ip', POLICY);
      const [until, signedIn] = await Promise.all([
        two.stores.accounts.recordWrongPassword(a, 100, 'ip', POLICY),
        accounts.signIn(a, 100, signInOpts, session('t')),
      ]);
      // Either the sign-in came first (and cleared the failures) or the lock did (and refused it).
      if (signedIn.ok) {
        expect(until).toBeNull();
        expect(await accounts.getById(a.id)).toMatchObject({ failedLogins: 1, lockedUntil: null });
      } else {
        expect(until).toBe(1000);
        expect(signedIn.error).toEqual({ reason: 'locked', until: 1000 });
        expect(await accounts.findSession('t')).toBeNull();
      }
    } finally {
      await two.close();
    }
  });

  it('two servers creating one username in different cases: one account', async () => {
    const d = await open();
    const one = leafStores(d);
    const two = await secondServer(d);
    try {
      const made = await Promise.all(
        ['Hoa', 'HOA', 'hoa', 'hOa', 'HoA', 'hoA'].map((username, i) =>
          (i % 2 === 0 ? one : two.stores).accounts.add(
            { username, displayName: 'H', role: 'viewer', passwordHash: 'p' },
            1,
            'x',
          ),
        ),
      );
      expect(made.filter((m) => m !== null)).toHaveLength(1);
      expect((await one.accounts.list()).map((x) => x.username)).toEqual(['hoa']);
      expect(await one.audit.list({ limit: 10 })).toHaveLength(1);
    } finally {
      await two.close();
    }
  });

  it('two servers demoting the last two admins at once: one is refused', async () => {
    const d = await open();
    const { accounts, a } = await setup(d);
    const b = await accounts.create(
      { username: 'binh', displayName: 'B', role: 'admin', passwordHash: 'h' },
      11,
    );
    if (b === null) throw new Error('not created');
    const two = await secondServer(d);
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all([
          accounts.change(a.id, { role: 'viewer' }, 20, 'x', ['role']),
          two.stores.accounts.change(b.id, { disabled: true }, 20, 'y', ['disabled']),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, error: 'last_admin' }]);
        expect(await accounts.countActiveAdmins()).toBe(1);
        await accounts.update(a.id, { role: 'admin', disabled: false }, 30);
        await accounts.update(b.id, { role: 'admin', disabled: false }, 30);
      }
    } finally {
      await two.close();
    }
  });
});

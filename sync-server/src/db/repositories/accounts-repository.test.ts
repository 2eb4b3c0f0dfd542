import { describe, expect, it } from 'vitest';
import { openDatabase } from '../open-database.js';
import { AccountsRepository } from './accounts-repository.js';

const setup = () => {
  const repo = new AccountsRepository(openDatabase(':memory:'));
  const a = repo.create(
    { username: 'Lan.Nguyen', displayName: 'Lan', role: 'admin', passwordHash: 'h1' },
    10,
  );
  if (a === null) throw new Error('not created');
  return { repo, a };
};

describe('AccountsRepository', () => {
  it('stores usernames lowercase, finds them in any case and refuses duplicates', () => {
    const { repo, a } = setup();
    expect(a).toMatchObject({ username: 'lan.nguyen', role: 'admin', createdAt: 10, failedLogins: 0 });
    expect(repo.get('LAN.NGUYEN')?.id).toBe(a.id);
    expect(
      repo.create({ username: 'lan.NGUYEN', displayName: 'x', role: 'viewer', passwordHash: 'h' }, 11),
    ).toBeNull();
    expect(repo.passwordHash(a.id)).toBe('h1');
    expect(JSON.stringify(repo.list())).not.toContain('h1');
  });

  it('locks on the fifth failure in a row, restarting the count; a success clears it', () => {
    const { repo, a } = setup();
    for (let i = 0; i < 4; i++) expect(repo.recordFailure(a.id, 100, 5, 900)).toBeNull();
    expect(repo.getById(a.id)?.failedLogins).toBe(4);
    expect(repo.recordFailure(a.id, 100, 5, 900)).toBe(1000);
    expect(repo.getById(a.id)).toMatchObject({ failedLogins: 0, lockedUntil: 1000 });
    repo.recordFailure(a.id, 2000, 5, 900);
    repo.recordSuccess(a.id, 2001);
    expect(repo.getById(a.id)).toMatchObject({ failedLogins: 0, lockedUntil: null, lastLoginAt: 2001 });
  });

  it('updates only what is given; re-enabling or a new password clears a lock', () => {
    const { repo, a } = setup();
    repo.recordFailure(a.id, 0, 1, 900);
    expect(repo.update(a.id, { disabled: true }, 50)).toMatchObject({
      displayName: 'Lan',
      disabledAt: 50,
      lockedUntil: 900,
    });
    expect(repo.update(a.id, { disabled: true }, 60)?.disabledAt).toBe(50);
    expect(repo.countActiveAdmins()).toBe(0);
    expect(repo.update(a.id, { disabled: false, displayName: 'Lan N.' }, 70)).toMatchObject({
      displayName: 'Lan N.',
      disabledAt: null,
      lockedUntil: null,
      updatedAt: 70,
    });
    expect(repo.countActiveAdmins()).toBe(1);
    repo.update(a.id, { role: 'viewer', passwordHash: 'h2' }, 80);
    expect(repo.countActiveAdmins()).toBe(0);
    expect(repo.passwordHash(a.id)).toBe('h2');
  });

  it('keeps sessions by hash, ends all but one, and drops expired ones', () => {
    const { repo, a } = setup();
    for (const [h, exp] of [
      ['s1', 100],
      ['s2', 200],
      ['s3', 300],
    ] as const)
      repo.createSession({ tokenHash: h, accountId: a.id, csrfToken: `c-${h}`, now: 0, expiresAt: exp });
    expect(repo.findSession('s1')).toMatchObject({
      csrfToken: 'c-s1',
      expiresAt: 100,
      account: { id: a.id },
    });
    repo.touchSession('s1', 50, 150);
    expect(repo.findSession('s1')).toMatchObject({ lastSeenAt: 50, expiresAt: 150 });
    expect(repo.deleteExpiredSessions(150)).toBe(1);
    expect(repo.findSession('s1')).toBeNull();
    expect(repo.countSessions(a.id, 0)).toBe(2);
    expect(repo.deleteSessionsOf(a.id, 's3')).toBe(1);
    expect(repo.findSession('s3')).not.toBeNull();
    expect(repo.deleteSessionsOf(a.id)).toBe(1);
    expect(repo.countSessions(a.id, 0)).toBe(0);
  });
});

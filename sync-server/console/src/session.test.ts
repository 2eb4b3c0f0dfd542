import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentSession, isProvinceScoped, pagesFor, sessionOf } from './session.js';
import type { Session } from './types.js';

const SESSION: Session = {
  signedIn: true,
  account: { username: 'lan', displayName: 'Lan', role: 'admin' },
  csrfToken: 'c'.repeat(43),
  expiresAt: '2021-09-18T08:30:00.000Z',
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the console session check', () => {
  it('reads {signedIn:false} as nobody signed in, and a session as itself', () => {
    expect(sessionOf({ signedIn: false })).toBeNull();
    expect(sessionOf(SESSION)).toBe(SESSION);
  });

  it('asks GET /api/v1/session and turns its 200 answers into a session or null', async () => {
    const answers: unknown[] = [{ signedIn: false }, SESSION];
    const fetch = vi.fn((path: string, init: RequestInit) => {
      expect([path, init.method]).toEqual(['/api/v1/session', 'GET']);
      return Promise.resolve(new Response(JSON.stringify(answers.shift()), { status: 200 }));
    });
    vi.stubGlobal('fetch', fetch);
    await expect(currentSession()).resolves.toBeNull();
    await expect(currentSession()).resolves.toEqual(SESSION);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});

describe('the pages an account sees', () => {
  const ALL = ['overview', 'alerts', 'scans', 'arrivals', 'traces', 'audit', 'accounts'] as const;
  it('shows a province-limited account only arrivals, whatever its role', () => {
    for (const role of ['admin', 'viewer'] as const) {
      const account = { username: 'ca', displayName: 'CA', role, province: 79 };
      expect(pagesFor(account, ALL)).toEqual(['arrivals']);
      expect(isProvinceScoped(account)).toBe(true);
    }
  });
  it('shows viewers everything but accounts and traces, admins everything', () => {
    expect(pagesFor({ username: 'v', displayName: 'V', role: 'viewer' }, ALL)).toEqual([
      'overview',
      'alerts',
      'scans',
      'arrivals',
      'audit',
    ]);
    expect(pagesFor({ username: 'a', displayName: 'A', role: 'admin', province: null }, ALL)).toEqual([
      ...ALL,
    ]);
    expect(isProvinceScoped({ username: 'a', displayName: 'A', role: 'admin' })).toBe(false);
  });
});

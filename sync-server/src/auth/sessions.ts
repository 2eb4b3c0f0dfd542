import { randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, AccountRole } from '../db/repositories/accounts-repository.js';
import { HttpError } from '../http-error.js';
import type { Services } from '../services.js';
import { generateToken, hashToken } from './tokens.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'cl_session';

/** A live session as the routes and hooks see it. */
export interface ActiveSession {
  readonly tokenHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
  readonly account: AccountRecord;
}

/** What a session answer carries about its account. */
export interface AccountSummary {
  readonly username: string;
  readonly displayName: string;
  readonly role: AccountRole;
}

/** The public part of an account. */
export function accountSummary(a: AccountRecord): AccountSummary {
  return {
    username: a.username,
    displayName: a.displayName,
    role: a.role,
    ...(a.province !== null && { province: a.province }),
  };
}

/**
 * A new session for an account: the cookie token and what is stored of it (its hash only). The
 * sign-in stores it (`AccountsStore.signIn`) in the transaction that checks the account.
 */
export function newSession(
  s: Services,
  account: AccountRecord,
  now: number,
): ActiveSession & { token: string } {
  const token = generateToken();
  const csrfToken = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token);
  const expiresAt = Math.min(now + s.sessionPolicy.idleMs, now + s.sessionPolicy.absoluteMs);
  return { token, tokenHash, csrfToken, expiresAt, account };
}

/**
 * The live session of a cookie token, or null. Expired sessions are deleted on sight; live ones
 * slide their idle expiry, written at most every minute (or quarter of the idle time) so reads
 * don't each cost a write. Sessions of disabled accounts are ended too.
 */
export async function resolveSession(
  s: Services,
  token: string,
  now: number,
  touch = true,
): Promise<ActiveSession | null> {
  if (token.length < 16 || token.length > 128) return null;
  const tokenHash = hashToken(token);
  const found = await s.accounts.findSession(tokenHash);
  if (!found) return null;
  const absoluteEnd = found.createdAt + s.sessionPolicy.absoluteMs;
  if (now >= found.expiresAt || now >= absoluteEnd || found.account.disabledAt !== null) {
    await s.accounts.deleteSession(tokenHash);
    return null;
  }
  let expiresAt = found.expiresAt;
  const touchEvery = Math.min(60_000, Math.floor(s.sessionPolicy.idleMs / 4));
  if (touch && now - found.lastSeenAt >= touchEvery) {
    expiresAt = Math.min(now + s.sessionPolicy.idleMs, absoluteEnd);
    await s.accounts.touchSession(tokenHash, now, expiresAt);
  }
  return { tokenHash, csrfToken: found.csrfToken, expiresAt, account: found.account };
}

/**
 * The session of a request's cookie, or null. A request marked `X-Background: 1` (the
 * console's own periodic refreshes) does not count as activity: an unattended console still
 * signs out after the idle time.
 */
export async function requestSession(s: Services, req: FastifyRequest): Promise<ActiveSession | null> {
  const token = req.cookies[SESSION_COOKIE];
  const touch = req.headers['x-background'] !== '1';
  return token === undefined || token === '' ? null : await resolveSession(s, token, s.clock(), touch);
}

/** Whether a session (by token hash) is still valid now: not ended, expired or disabled. No touch. */
export async function sessionStillValid(s: Services, tokenHash: string, now: number): Promise<boolean> {
  const found = await s.accounts.findSession(tokenHash);
  return (
    found !== null &&
    now < found.expiresAt &&
    now < found.createdAt + s.sessionPolicy.absoluteMs &&
    found.account.disabledAt === null
  );
}

const cookieOptions = (req: FastifyRequest) =>
  ({ path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' }) as const;

/** Sets the session cookie (a browser-session cookie: the server enforces the lifetimes). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string): void {
  void reply.setCookie(SESSION_COOKIE, token, cookieOptions(req));
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
}

/** Whether a method changes something (everything but GET, HEAD and OPTIONS). */
export function isUnsafeMethod(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Refuses a request whose `Origin` header, when present, is not this server's own origin. */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  // req.host is the Host header, or X-Forwarded-Host from a trusted proxy (--trust-proxy).
  const own = `${req.protocol}://${req.host}`;
  if (origin.toLowerCase() !== own.toLowerCase()) {
    throw new HttpError(
      403,
      'bad_origin',
      `requests from ${origin} are not accepted; use the console at ${own}`,
    );
  }
}

/** Refuses a cookie-authenticated request without the session's `X-CSRF-Token` (constant time). */
export function checkCsrf(req: FastifyRequest, session: ActiveSession): void {
  const header = req.headers['x-csrf-token'];
  const given = Buffer.from(typeof header === 'string' ? header : '', 'utf8');
  const expected = Buffer.from(session.csrfToken, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(403, 'csrf', 'missing or wrong "X-CSRF-Token" header; reload the console');
  }
}

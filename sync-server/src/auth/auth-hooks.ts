// Authentication hooks of the admin and kiosk APIs. Words: "kiosk" is the HTTP and database
// word (the `/api/v1/kiosk/…` paths, the `kiosks` table, `kioskId` in JSON, the error codes and
// messages a lane sees); "lane" is the word in code (`LaneIdentity`, `laneAuth`, `requireLane`).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRole } from '../db/repositories/accounts-repository.js';
import { HttpError } from '../http-error.js';
import type { LimitsStore } from '../db/store/limits-store.js';
import type { Services } from '../services.js';
import { checkCsrf, checkOrigin, isUnsafeMethod, requestSession, SESSION_COOKIE } from './sessions.js';
import { bearerToken, hashesEqual, hashToken } from './tokens.js';

/** The lane a request was authenticated as (by its kiosk token). */
export interface LaneIdentity {
  readonly id: string;
  readonly checkpointId: string;
}

/**
 * Who an admin request acts as: the bootstrap admin token (role admin, `username` is
 * `token@<address>`) or a console account signed in with the session cookie.
 */
export interface AdminIdentity {
  readonly kind: 'token' | 'account';
  readonly username: string;
  readonly displayName: string;
  readonly role: AccountRole;
  /** The province (GSO code) the account is limited to (arrivals); null for none, and for the token. */
  readonly province: number | null;
  /** The console session's token hash (account sign-ins only). */
  readonly sessionHash?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the lane auth hook (`laneAuth`). */
    lane: LaneIdentity | null;
    /** Set by the admin auth hook. */
    admin: AdminIdentity | null;
  }
}

/**
 * Counts failed authentications per address: after `max` in a minute, further failures get
 * 429 until the minute is over (guessing tokens is pointless, but noisy clients are cut off).
 * The token hooks consult it only once a credential has failed: lanes and consoles behind one
 * NAT or proxy keep working while a neighbour sends garbage.
 *
 * The counts live in the {@link LimitsStore} under their own bucket: in fleet mode every server
 * counts into the same PostgreSQL rows, so spreading guesses over the servers buys no more of them
 * (issue 14); on SQLite the one server counts in memory.
 */
export class AuthFailureLimiter {
  constructor(
    private readonly limits: LimitsStore,
    /** What is counted, e.g. `auth-session`: each limiter its own budget. */
    private readonly bucket: string,
    private readonly clock: () => number,
    private readonly max = 30,
  ) {}

  /** Throws 429 if the address is over its budget. */
  async check(ip: string): Promise<void> {
    if ((await this.limits.lockedUntil(this.bucket, ip, this.clock())) !== null) throw tooManyFailures();
  }

  /**
   * A failed credential: records it and answers `err`, or 429 when the address was already over
   * its budget (a valid credential never comes here).
   */
  async refuse(ip: string, err: HttpError): Promise<HttpError> {
    return (await this.#count(ip)) ? tooManyFailures() : err;
  }

  /** Records one failure. */
  async fail(ip: string): Promise<void> {
    await this.#count(ip);
  }

  /** Counts a failure; true when the address was over its budget already (locked). */
  async #count(ip: string): Promise<boolean> {
    const now = this.clock();
    if ((await this.limits.lockedUntil(this.bucket, ip, now)) !== null) return true;
    const hit = await this.limits.hit(this.bucket, ip, now, 60_000);
    // The max-th failure still gets its own answer; from then on the address is refused until
    // the minute is over.
    if (hit.count >= this.max) await this.limits.lock(this.bucket, ip, hit.resetAt);
    return false;
  }
}

function tooManyFailures(): HttpError {
  return new HttpError(429, 'too_many_failures', 'too many failed authentications; try again in a minute');
}

/**
 * The admin routes (method and route pattern) an account limited to a province may use: the
 * arrivals read (which checks the province itself). Its session routes (`/api/v1/session…`) are
 * outside the admin API and this hook.
 */
export const PROVINCE_SCOPE_ROUTES: readonly { readonly method: string; readonly url: string }[] = [
  { method: 'GET', url: '/api/v1/admin/arrivals' },
  { method: 'HEAD', url: '/api/v1/admin/arrivals' },
];

function provinceScopeAllows(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return PROVINCE_SCOPE_ROUTES.some((r) => r.method === req.method && r.url === url);
}

/**
 * onRequest hook of `/api/v1/admin/*`: either the admin bearer token (compared by hash in
 * constant time; acts as role admin) or the `cl_session` cookie of a console account. Cookie
 * requests that change something need the session's `X-CSRF-Token` and, if they carry an
 * `Origin`, this server's own; viewers may only `GET`/`HEAD`; an account limited to a province
 * may use only {@link PROVINCE_SCOPE_ROUTES} (403 `forbidden_area` for every other admin route).
 */
export function adminAuth(services: Services, limiter: AuthFailureLimiter) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    const cookie = req.cookies[SESSION_COOKIE];
    if (header === undefined && cookie !== undefined && cookie !== '') {
      const session = await requestSession(services, req);
      if (session === null) {
        throw await limiter.refuse(
          req.ip,
          new HttpError(401, 'unauthorized', 'the session has ended; sign in again'),
        );
      }
      // A province-limited account is refused everything but its allow-list, before anything else
      // is looked at: a route added later is closed to it unless listed here.
      if (session.account.province !== null && !provinceScopeAllows(req)) {
        throw new HttpError(
          403,
          'forbidden_area',
          `this account reads arrivals of province ${String(session.account.province)} only`,
        );
      }
      if (isUnsafeMethod(req.method)) {
        checkOrigin(req);
        checkCsrf(req, session);
        if (session.account.role !== 'admin') {
          throw new HttpError(403, 'forbidden_role', 'viewers may only look; ask an admin for this change');
        }
      }
      const a = session.account;
      req.admin = {
        kind: 'account',
        username: a.username,
        displayName: a.displayName,
        role: a.role,
        province: a.province,
        sessionHash: session.tokenHash,
      };
      return;
    }
    const token = bearerToken(header);
    if (token === null) {
      throw await limiter.refuse(
        req.ip,
        new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <admin token>"'),
      );
    }
    if (!hashesEqual(hashToken(token), await services.currentAdminTokenHash())) {
      throw await limiter.refuse(req.ip, new HttpError(401, 'unauthorized', 'the admin token is not valid'));
    }
    req.admin = {
      kind: 'token',
      username: `token@${req.ip}`,
      displayName: 'admin token',
      role: 'admin',
      province: null,
    };
    await Promise.resolve();
  };
}

/** Refuses an admin request whose identity lacks the role (after `adminAuth`). */
export function requireRole(req: FastifyRequest, role: AccountRole): AdminIdentity {
  const admin = req.admin;
  if (admin === null) throw new HttpError(401, 'unauthorized', 'sign in or use the admin token');
  if (role === 'admin' && admin.role !== 'admin') {
    throw new HttpError(403, 'forbidden_role', 'only admins may do this');
  }
  return admin;
}

/** onRequest hook of `/api/v1/kiosk/*`: a lane's kiosk token, looked up by hash; revoked tokens are refused. */
export function laneAuth(services: Services, limiter: AuthFailureLimiter) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (token === null) {
      throw await limiter.refuse(
        req.ip,
        new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <kiosk token>"'),
      );
    }
    const hash = hashToken(token);
    const lane = await services.kiosks.findByTokenHash(hash);
    if (!lane || !hashesEqual(hash, lane.tokenHash)) {
      throw await limiter.refuse(req.ip, new HttpError(401, 'unauthorized', 'the kiosk token is not valid'));
    }
    if (lane.revoked)
      throw new HttpError(401, 'kiosk_revoked', 'this kiosk has been revoked; enroll it again');
    req.lane = { id: lane.id, checkpointId: lane.checkpointId };
    await Promise.resolve();
  };
}

/** The authenticated lane of a request (kiosk routes only, after `laneAuth`). */
export function requireLane(req: FastifyRequest): LaneIdentity {
  if (req.lane === null) throw new HttpError(401, 'unauthorized', 'kiosk token required');
  return req.lane;
}

/** Who an admin request acts as, for the audit log: the account's username, or `token@<address>`. */
export function adminActor(req: FastifyRequest): string {
  return req.admin?.username ?? `token@${req.ip}`;
}

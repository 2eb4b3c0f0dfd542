import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { Services } from '../services.js';
import { bearerToken, hashesEqual, hashToken } from './tokens.js';

/** The lane a request was authenticated as. */
export interface KioskIdentity {
  readonly id: string;
  readonly checkpointId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the kiosk auth hook. */
    kiosk: KioskIdentity | null;
  }
}

/**
 * Counts failed authentications per address: after `max` in a minute, further attempts get
 * 429 until the minute is over (guessing tokens is pointless, but noisy clients are cut off).
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly clock: () => number,
    private readonly max = 30,
  ) {}

  /** Throws 429 if the address is over its budget. */
  check(ip: string): void {
    const f = this.failures.get(ip);
    if (f && f.resetAt > this.clock() && f.count >= this.max) {
      throw new HttpError(429, 'too_many_failures', 'too many failed authentications; try again in a minute');
    }
  }

  /** Records one failure. */
  fail(ip: string): void {
    const now = this.clock();
    const f = this.failures.get(ip);
    if (!f || f.resetAt <= now) this.failures.set(ip, { count: 1, resetAt: now + 60_000 });
    else f.count++;
    if (this.failures.size > 10_000) this.failures.clear();
  }
}

/** onRequest hook: the admin bearer token, compared by hash in constant time. */
export function adminAuth(services: Services, limiter: AuthFailureLimiter) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    limiter.check(req.ip);
    const token = bearerToken(req.headers.authorization);
    if (token === null) {
      limiter.fail(req.ip);
      throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <admin token>"');
    }
    if (!hashesEqual(hashToken(token), services.adminTokenHash)) {
      limiter.fail(req.ip);
      throw new HttpError(401, 'unauthorized', 'the admin token is not valid');
    }
    await Promise.resolve();
  };
}

/** onRequest hook: a kiosk token, looked up by hash; revoked tokens are refused. */
export function kioskAuth(services: Services, limiter: AuthFailureLimiter) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    limiter.check(req.ip);
    const token = bearerToken(req.headers.authorization);
    if (token === null) {
      limiter.fail(req.ip);
      throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <kiosk token>"');
    }
    const hash = hashToken(token);
    const kiosk = services.kiosks.findByTokenHash(hash);
    if (!kiosk || !hashesEqual(hash, kiosk.tokenHash)) {
      limiter.fail(req.ip);
      throw new HttpError(401, 'unauthorized', 'the kiosk token is not valid');
    }
    if (kiosk.revoked)
      throw new HttpError(401, 'kiosk_revoked', 'this kiosk has been revoked; enroll it again');
    req.kiosk = { id: kiosk.id, checkpointId: kiosk.checkpointId };
    await Promise.resolve();
  };
}

/** The authenticated kiosk of a request (kiosk routes only). */
export function requireKiosk(req: FastifyRequest): KioskIdentity {
  if (req.kiosk === null) throw new HttpError(401, 'unauthorized', 'kiosk token required');
  return req.kiosk;
}

/** Who an admin request acts as, for the audit log: the admin token and the client address. */
export function adminActor(req: FastifyRequest): string {
  return `admin@${req.ip}`;
}

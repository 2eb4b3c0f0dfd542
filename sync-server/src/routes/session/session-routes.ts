import {
  PasswordChangeBodySchema,
  SessionAnswerSchema,
  SessionInfoSchema,
  SignInBodySchema,
  USERNAME_PATTERN,
  type SessionInfo,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import type { AuthFailureLimiter } from '../../auth/auth-hooks.js';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from '../../auth/passwords.js';
import {
  accountSummary,
  checkCsrf,
  checkOrigin,
  clearSessionCookie,
  requestSession,
  setSessionCookie,
  newSession,
  type ActiveSession,
} from '../../auth/sessions.js';
import { LoginGuard } from '../../auth/login-guard.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { errors, type App } from '../schemas.js';

/** Cookie auth, for the OpenAPI document. */
export const sessionSecurity = [{ sessionCookie: [] }];

const sessionInfo = (session: ActiveSession): SessionInfo => ({
  signedIn: true as const,
  account: accountSummary(session.account),
  csrfToken: session.csrfToken,
  expiresAt: new Date(session.expiresAt).toISOString(),
});

const badCredentials = (): HttpError => new HttpError(401, 'bad_credentials', 'wrong username or password');

const lockedUntil = (until: number): HttpError =>
  new HttpError(
    423,
    'account_locked',
    `too many wrong passwords: this account is locked until ${new Date(until).toISOString()}`,
  );

/** `/api/v1/session`: console sign-in, who-am-I, sign-out and password change. */
export function registerSessionRoutes(app: App, s: Services, limiter: AuthFailureLimiter): void {
  const USERNAME_RE = new RegExp(USERNAME_PATTERN);
  const guard = new LoginGuard(s.sessionPolicy, s.store.limits);

  app.post(
    '/session',
    {
      config: { rateLimit: { max: s.loginRateLimit, timeWindow: 60_000 } },
      schema: {
        summary: 'Sign in to the admin console (sets the cl_session cookie; rate limited)',
        tags: ['session'],
        body: SignInBodySchema,
        response: { 200: SessionInfoSchema, ...errors(400, 401, 403, 423, 429) },
      },
    },
    async (req, reply) => {
      checkOrigin(req);
      await limiter.check(req.ip);
      const username = req.body.username.trim().toLowerCase().slice(0, 64);
      // One attempt per username at a time: parallel guesses cannot outrun the lock-out.
      const session = await guard.serialize(username, async () => {
        const anonymous = `anonymous@${req.ip}`;
        const p = s.sessionPolicy;
        const account = USERNAME_RE.test(username) ? await s.accounts.get(username) : null;
        if (account === null) {
          // Same work, same answers (lock-out included) as a real account with a wrong password,
          // so usernames cannot be probed.
          const locked = await guard.unknownLockedUntil(username, s.clock());
          if (locked !== null) {
            await limiter.fail(req.ip);
            throw lockedUntil(locked);
          }
          await verifyPassword(req.body.password, DUMMY_PASSWORD_HASH);
          await limiter.fail(req.ip);
          await s.audit.record(s.clock(), anonymous, 'session.login_failed', null, {
            reason: 'unknown_user',
          });
          const until = await guard.unknownFailure(username, s.clock());
          throw until === null ? badCredentials() : lockedUntil(until);
        }
        if (account.lockedUntil !== null && account.lockedUntil > s.clock()) {
          await limiter.fail(req.ip);
          await s.audit.record(s.clock(), anonymous, 'session.login_failed', account.username, {
            reason: 'locked',
          });
          throw lockedUntil(account.lockedUntil);
        }
        const stored = (await s.accounts.passwordHash(account.id)) ?? DUMMY_PASSWORD_HASH;
        const ok = await verifyPassword(req.body.password, stored);
        const now = s.clock();
        if (account.disabledAt !== null) {
          await limiter.fail(req.ip);
          await s.audit.record(now, anonymous, 'session.login_failed', account.username, {
            reason: 'disabled',
          });
          throw badCredentials();
        }
        if (!ok) {
          await limiter.fail(req.ip);
          const locked = await s.accounts.recordWrongPassword(account, now, anonymous, p);
          if (locked !== null) {
            req.log.warn({ accountId: account.id }, 'admin account locked after wrong passwords');
            throw lockedUntil(locked);
          }
          throw badCredentials();
        }
        const rehashed = needsRehash(stored) ? await hashPassword(req.body.password) : null;
        const previous = await requestSession(s, req);
        const session = newSession(s, account, now);
        // An admin may have locked or disabled the account while the password was checked.
        const started = await s.accounts.signIn(
          account,
          now,
          { ip: req.ip, previousTokenHash: previous?.tokenHash ?? null, rehashed },
          session,
        );
        if (started.ok) return session;
        throw started.error.reason === 'locked' ? lockedUntil(started.error.until) : badCredentials();
      });
      setSessionCookie(req, reply, session.token);
      return reply.code(200).send(sessionInfo(session));
    },
  );

  app.get(
    '/session',
    {
      schema: {
        summary: 'The signed-in account and its CSRF token, or {signedIn:false} (200 either way)',
        tags: ['session'],
        security: sessionSecurity,
        response: { 200: SessionAnswerSchema },
      },
    },
    async (req, reply) => {
      const session = await requestSession(s, req);
      // "Not signed in" is the normal first answer to a console load: a 401 here would show as
      // an error in every browser's console. Routes that need a session still answer 401.
      if (session === null) {
        if (req.cookies.cl_session !== undefined) clearSessionCookie(req, reply);
        return reply.send({ signedIn: false as const });
      }
      return reply.send(sessionInfo(session));
    },
  );

  app.delete(
    '/session',
    {
      schema: {
        summary: 'Sign out (needs X-CSRF-Token)',
        tags: ['session'],
        security: sessionSecurity,
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    async (req, reply) => {
      const session = await signedIn(s, req);
      checkOrigin(req);
      checkCsrf(req, session);
      await s.accounts.signOut(session.tokenHash, session.account.username, s.clock());
      clearSessionCookie(req, reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/session/password',
    {
      config: { rateLimit: { max: s.loginRateLimit, timeWindow: 60_000 } },
      schema: {
        summary: "Change the signed-in account's password (ends its other sessions; needs X-CSRF-Token)",
        tags: ['session'],
        security: sessionSecurity,
        body: PasswordChangeBodySchema,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const session = await signedIn(s, req);
      checkOrigin(req);
      checkCsrf(req, session);
      await limiter.check(req.ip);
      const id = session.account.id;
      const ok = await verifyPassword(
        req.body.currentPassword,
        (await s.accounts.passwordHash(id)) ?? DUMMY_PASSWORD_HASH,
      );
      if (!ok) {
        await limiter.fail(req.ip);
        // 403, not 401: the session is still good, only this change is refused.
        throw new HttpError(403, 'bad_credentials', 'the current password is wrong');
      }
      const passwordHash = await hashPassword(req.body.newPassword);
      await s.accounts.changeOwnPassword(session.account, passwordHash, session.tokenHash, s.clock());
      return reply.code(204).send(null);
    },
  );
}

/** The request's live session, or 401. */
async function signedIn(s: Services, req: Parameters<typeof requestSession>[1]): Promise<ActiveSession> {
  const session = await requestSession(s, req);
  if (session === null) throw new HttpError(401, 'unauthorized', 'not signed in');
  return session;
}

import {
  AccountCreateBodySchema,
  AccountListSchema,
  AccountParamsSchema,
  AccountUpdateBodySchema,
  AccountViewSchema,
  type AccountView,
} from '@checkpoint-lane/shared';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { hashPassword } from '../../auth/passwords.js';
import type { AccountChanges, AccountRecord } from '../../db/repositories/accounts-repository.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const security = adminSecurity;

const view = (a: AccountRecord): AccountView => ({
  username: a.username,
  displayName: a.displayName,
  role: a.role,
  disabled: a.disabledAt !== null,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
  lastLoginAt: a.lastLoginAt,
  lockedUntil: a.lockedUntil,
  province: a.province,
});

const trimmedName = (name: string): string => {
  const t = name.trim();
  if (t === '') throw new HttpError(400, 'bad_request', 'displayName must not be blank');
  return t;
};

const unknownAccount = (username: string): HttpError =>
  new HttpError(404, 'unknown_account', `no account ${username}`);

/** `/api/v1/admin/accounts`: console accounts (admins only, even for reading). */
export function registerAccountRoutes(app: App, s: Services): void {
  app.get(
    '/accounts',
    {
      schema: {
        summary: 'List console accounts (admins only)',
        tags: ['admin', 'accounts'],
        security,
        response: { 200: AccountListSchema, ...errors(401, 403) },
      },
    },
    async (req) => {
      requireRole(req, 'admin');
      return { accounts: (await s.accounts.list()).map(view) };
    },
  );

  app.post(
    '/accounts',
    {
      schema: {
        summary: 'Create a console account (admins only; the admin token creates the first one)',
        tags: ['admin', 'accounts'],
        security,
        body: AccountCreateBodySchema,
        response: { 201: AccountViewSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const b = req.body;
      const username = b.username.toLowerCase();
      const displayName = trimmedName(b.displayName);
      if ((await s.accounts.get(username)) !== null) throw taken(username);
      const passwordHash = await hashPassword(b.password);
      const created = await s.accounts.add(
        { username, displayName, role: b.role, passwordHash, province: b.province ?? null },
        s.clock(),
        adminActor(req),
      );
      if (created === null) throw taken(username);
      return reply.code(201).send(view(created));
    },
  );

  app.patch(
    '/accounts/:username',
    {
      schema: {
        summary:
          "Change an account's name, role, password or state (changing password, role or state ends its sessions)",
        tags: ['admin', 'accounts'],
        security,
        params: AccountParamsSchema,
        body: AccountUpdateBodySchema,
        response: { 200: AccountViewSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = requireRole(req, 'admin');
      const username = req.params.username.toLowerCase();
      const b = req.body;
      const target = await s.accounts.get(username);
      if (target === null) throw unknownAccount(username);
      const isSelf = me.kind === 'account' && me.username === target.username;
      if (isSelf && b.disabled === true) {
        throw new HttpError(409, 'self', 'you cannot disable your own account; ask another admin');
      }
      if (isSelf && b.password !== undefined) {
        // A stolen session must not be enough to take the account for good.
        throw new HttpError(
          409,
          'self',
          'change your own password with POST /api/v1/session/password (it asks for the current one)',
        );
      }
      if (isSelf && b.role === 'viewer' && target.role === 'admin') {
        throw new HttpError(409, 'self', 'you cannot take the admin role from yourself; ask another admin');
      }
      const displayName = b.displayName === undefined ? undefined : trimmedName(b.displayName);
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password);
      const changes: AccountChanges = {
        ...(displayName !== undefined && { displayName }),
        ...(b.role !== undefined && { role: b.role }),
        ...(passwordHash !== undefined && { passwordHash }),
        ...(b.disabled !== undefined && { disabled: b.disabled }),
        ...(b.province !== undefined && { province: b.province }),
      };
      // The repository re-reads the account in its transaction: the password hash above took a while.
      const result = await s.accounts.change(target.id, changes, s.clock(), adminActor(req), Object.keys(b));
      if (result.ok) return view(result.value);
      if (result.error === 'last_admin') {
        throw new HttpError(
          409,
          'last_admin',
          'this is the last active admin account; make another admin first',
        );
      }
      throw unknownAccount(username);
    },
  );
}

function taken(username: string): HttpError {
  return new HttpError(409, 'username_taken', `the username ${username} is taken`);
}

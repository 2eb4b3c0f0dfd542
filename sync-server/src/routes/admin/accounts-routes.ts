import Type from 'typebox';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { hashPassword } from '../../auth/passwords.js';
import type { AccountChanges, AccountRecord } from '../../db/repositories/accounts-repository.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import {
  AccountRoleSchema,
  AccountView,
  DisplayName,
  NewPassword,
  Username,
} from '../session/account-schemas.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const security = adminSecurity;

const view = (a: AccountRecord) => ({
  username: a.username,
  displayName: a.displayName,
  role: a.role,
  disabled: a.disabledAt !== null,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
  lastLoginAt: a.lastLoginAt,
  lockedUntil: a.lockedUntil,
});

const trimmedName = (name: string): string => {
  const t = name.trim();
  if (t === '') throw new HttpError(400, 'bad_request', 'displayName must not be blank');
  return t;
};

/** `/api/v1/admin/accounts`: console accounts (admins only, even for reading). */
export function registerAccountRoutes(app: App, s: Services): void {
  app.get(
    '/accounts',
    {
      schema: {
        summary: 'List console accounts (admins only)',
        tags: ['admin', 'accounts'],
        security,
        response: { 200: Type.Object({ accounts: Type.Array(AccountView) }), ...errors(401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return { accounts: s.accounts.list().map(view) };
    },
  );

  app.post(
    '/accounts',
    {
      schema: {
        summary: 'Create a console account (admins only; the admin token creates the first one)',
        tags: ['admin', 'accounts'],
        security,
        body: Type.Object({
          username: Username,
          displayName: DisplayName,
          role: AccountRoleSchema,
          password: NewPassword,
        }),
        response: { 201: AccountView, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const b = req.body;
      const username = b.username.toLowerCase();
      const displayName = trimmedName(b.displayName);
      if (s.accounts.get(username) !== null) throw taken(username);
      const passwordHash = await hashPassword(b.password);
      const now = s.clock();
      const created = s.db.transaction(() => {
        const a = s.accounts.create({ username, displayName, role: b.role, passwordHash }, now);
        if (a !== null)
          s.audit.record(now, adminActor(req), 'account.create', username, { displayName, role: b.role });
        return a;
      })();
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
        params: Type.Object({ username: Username }),
        body: Type.Object({
          displayName: Type.Optional(DisplayName),
          role: Type.Optional(AccountRoleSchema),
          password: Type.Optional(NewPassword),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: AccountView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = requireRole(req, 'admin');
      const username = req.params.username.toLowerCase();
      const b = req.body;
      const target = s.accounts.get(username);
      if (target === null) throw new HttpError(404, 'unknown_account', `no account ${username}`);
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
      };
      const now = s.clock();
      return s.db.transaction(() => {
        // Re-read inside the transaction: the password hash above took a while.
        const current = s.accounts.getById(target.id);
        if (current === null) throw new HttpError(404, 'unknown_account', `no account ${username}`);
        const wasActiveAdmin = current.role === 'admin' && current.disabledAt === null;
        const staysActiveAdmin =
          (b.role ?? current.role) === 'admin' && !(b.disabled ?? current.disabledAt !== null);
        if (wasActiveAdmin && !staysActiveAdmin && s.accounts.countActiveAdmins() <= 1) {
          throw new HttpError(
            409,
            'last_admin',
            'this is the last active admin account; make another admin first',
          );
        }
        const roleChanged = b.role !== undefined && b.role !== current.role;
        const stateChanged = b.disabled !== undefined && b.disabled !== (current.disabledAt !== null);
        const updated = s.accounts.update(current.id, changes, now);
        const endedSessions =
          roleChanged || stateChanged || passwordHash !== undefined
            ? s.accounts.deleteSessionsOf(current.id)
            : 0;
        s.audit.record(now, adminActor(req), 'account.update', current.username, {
          changed: Object.keys(b),
          ...(displayName !== undefined && { displayName }),
          ...(b.role !== undefined && { role: b.role }),
          ...(b.disabled !== undefined && { disabled: b.disabled }),
          endedSessions,
        });
        if (updated === null) throw new HttpError(404, 'unknown_account', `no account ${username}`);
        return view(updated);
      })();
    },
  );
}

function taken(username: string): HttpError {
  return new HttpError(409, 'username_taken', `the username ${username} is taken`);
}

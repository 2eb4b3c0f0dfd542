// Over 300 lines: accounts, sessions and their audited changes are one store, as in SQLite.
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import {
  ACCOUNT_COLUMNS,
  toAccount,
  type AccountChangeRefusal,
  type AccountChanges,
  type AccountRecord,
  type AccountRow,
  type NewAccount,
  type NewSession,
  type SessionRecord,
  type SessionRow,
  type SignInRefusal,
} from '../../repositories/accounts-repository.js';
import type { AccountsStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';

type LockPolicy = { readonly maxFailures: number; readonly lockMs: number };

async function byId(q: Queryable, id: number, forUpdate = false): Promise<AccountRecord | null> {
  const r = await q.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a WHERE a.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return r.rows[0] ? toAccount(r.rows[0]) : null;
}

async function insertAccount(q: Queryable, a: NewAccount, now: number): Promise<AccountRecord | null> {
  const r = await q.query<AccountRow>(
    `INSERT INTO admin_accounts AS a (username, display_name, role, password_hash, created_at, updated_at, province)
     VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT ((lower(username))) DO NOTHING
     RETURNING ${ACCOUNT_COLUMNS}`,
    [a.username.toLowerCase(), a.displayName, a.role, a.passwordHash, now, a.province ?? null],
  );
  return r.rows[0] ? toAccount(r.rows[0]) : null;
}

async function updateAccount(
  q: Queryable,
  id: number,
  c: AccountChanges,
  now: number,
): Promise<AccountRecord | null> {
  const r = await q.query<AccountRow>(
    `UPDATE admin_accounts AS a SET
       display_name  = coalesce($3::text, display_name),
       role          = coalesce($4::text, role),
       password_hash = coalesce($5::text, password_hash),
       disabled_at   = CASE $6::boolean WHEN true THEN coalesce(disabled_at, $2) WHEN false THEN NULL ELSE disabled_at END,
       failed_logins = CASE WHEN $6::boolean = false OR $5::text IS NOT NULL THEN 0 ELSE failed_logins END,
       locked_until  = CASE WHEN $6::boolean = false OR $5::text IS NOT NULL THEN NULL ELSE locked_until END,
       province      = CASE WHEN $7::boolean THEN $8::integer ELSE province END,
       updated_at    = $2
     WHERE id = $1
     RETURNING ${ACCOUNT_COLUMNS}`,
    [
      id,
      now,
      c.displayName ?? null,
      c.role ?? null,
      c.passwordHash ?? null,
      c.disabled ?? null,
      c.province !== undefined,
      c.province ?? null,
    ],
  );
  return r.rows[0] ? toAccount(r.rows[0]) : null;
}

/**
 * One wrong password in one statement: the UPDATE holds the account's row lock until the
 * caller's transaction ends, and a concurrent one (another server) waits for it and then counts
 * on the committed value, so parallel failures lock at exactly `maxFailures`. The failure that
 * reaches `maxFailures` sets the lock and restarts the count (it alone leaves the count at 0).
 */
async function countFailure(q: Queryable, id: number, now: number, p: LockPolicy): Promise<number | null> {
  const r = await q.query<{ locked: boolean }>(
    `UPDATE admin_accounts SET
       failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
       locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
     WHERE id = $1 RETURNING failed_logins = 0 AS locked`,
    [id, p.maxFailures, now + p.lockMs],
  );
  return r.rows[0]?.locked === true ? now + p.lockMs : null;
}

async function removeSessionsOf(
  q: Queryable,
  accountId: number,
  exceptTokenHash: string | null,
): Promise<number> {
  const r = await q.query(
    'DELETE FROM admin_sessions WHERE account_id = $1 AND ($2::text IS NULL OR token_hash <> $2::text)',
    [accountId, exceptTokenHash],
  );
  return r.rowCount ?? 0;
}

async function insertSession(
  q: Queryable,
  s: { tokenHash: string; accountId: number; csrfToken: string; now: number; expiresAt: number },
): Promise<void> {
  await q.query(
    `INSERT INTO admin_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $4, $5)`,
    [s.tokenHash, s.accountId, s.csrfToken, s.now, s.expiresAt],
  );
}

/**
 * Admin accounts and their sessions in PostgreSQL. Usernames are stored lowercase and looked up
 * by lower(username) (the unique index); every change with an audit record is one transaction.
 */
export class PgAccountsStore implements AccountsStore {
  constructor(private readonly pool: PgPool) {}

  /** Adds an account; null if the username (case-insensitive) is taken. */
  create(a: NewAccount, now: number): Promise<AccountRecord | null> {
    return insertAccount(this.pool, a, now);
  }

  /** One account by username (case-insensitive). */
  async get(username: string): Promise<AccountRecord | null> {
    const r = await this.pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a WHERE lower(a.username) = lower($1)`,
      [username],
    );
    return r.rows[0] ? toAccount(r.rows[0]) : null;
  }

  /** One account by id. */
  getById(id: number): Promise<AccountRecord | null> {
    return byId(this.pool, id);
  }

  /** The stored password hash of an account (for verification only). */
  async passwordHash(id: number): Promise<string | null> {
    const r = await this.pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM admin_accounts WHERE id = $1',
      [id],
    );
    return r.rows[0]?.password_hash ?? null;
  }

  /** All accounts, by username (byte order, as SQLite sorts). */
  async list(): Promise<AccountRecord[]> {
    const r = await this.pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a ORDER BY a.username COLLATE "C"`,
    );
    return r.rows.map(toAccount);
  }

  /** How many enabled accounts have the admin role. */
  async countActiveAdmins(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(
      "SELECT count(*) AS n FROM admin_accounts WHERE role = 'admin' AND disabled_at IS NULL",
    );
    return r.rows[0]?.n ?? 0;
  }

  /** Applies changes; re-enabling or a new password also clears a lockout. Returns the updated account. */
  update(id: number, c: AccountChanges, now: number): Promise<AccountRecord | null> {
    return updateAccount(this.pool, id, c, now);
  }

  /**
   * Counts one wrong password; the `maxFailures`-th in a row locks the account until
   * `now + lockMs` and starts the count again. Returns the lock's end if this failure locked it.
   */
  recordFailure(id: number, now: number, maxFailures: number, lockMs: number): Promise<number | null> {
    return countFailure(this.pool, id, now, { maxFailures, lockMs });
  }

  /** A good sign-in: failures and a lock cleared, the time noted. */
  async recordSuccess(id: number, now: number): Promise<void> {
    await this.pool.query(
      'UPDATE admin_accounts SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1',
      [id, now],
    );
  }

  /** Stores a new session (the token's SHA-256 only). */
  createSession(s: {
    tokenHash: string;
    accountId: number;
    csrfToken: string;
    now: number;
    expiresAt: number;
  }): Promise<void> {
    return insertSession(this.pool, s);
  }

  /** A session with its account, expired or not (the caller decides). */
  async findSession(tokenHash: string): Promise<SessionRecord | null> {
    const r = await this.pool.query<SessionRow>(
      `SELECT s.token_hash, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at,
              ${ACCOUNT_COLUMNS}
       FROM admin_sessions s JOIN admin_accounts a ON a.id = s.account_id WHERE s.token_hash = $1`,
      [tokenHash],
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      tokenHash: row.token_hash,
      csrfToken: row.csrf_token,
      createdAt: row.s_created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      account: toAccount(row),
    };
  }

  /** Notes activity on a session and moves its expiry. */
  async touchSession(tokenHash: string, now: number, expiresAt: number): Promise<void> {
    await this.pool.query(
      'UPDATE admin_sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1',
      [tokenHash, now, expiresAt],
    );
  }

  /** Ends one session. */
  async deleteSession(tokenHash: string): Promise<void> {
    await this.pool.query('DELETE FROM admin_sessions WHERE token_hash = $1', [tokenHash]);
  }

  /** Ends all sessions of an account but one (if given); returns how many ended. */
  deleteSessionsOf(accountId: number, exceptTokenHash: string | null = null): Promise<number> {
    return removeSessionsOf(this.pool, accountId, exceptTokenHash);
  }

  /** Drops sessions past their expiry; returns how many. */
  async deleteExpiredSessions(now: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM admin_sessions WHERE expires_at <= $1', [now]);
    return r.rowCount ?? 0;
  }

  /** How many live sessions an account has. */
  async countSessions(accountId: number, now: number): Promise<number> {
    const r = await this.pool.query<{ n: number }>(
      'SELECT count(*) AS n FROM admin_sessions WHERE account_id = $1 AND expires_at > $2',
      [accountId, now],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** Adds an account and audits it (`account.create`); null if the username is taken. */
  add(a: NewAccount, now: number, actor: string): Promise<AccountRecord | null> {
    return withPgTransaction(this.pool, async (client) => {
      const created = await insertAccount(client, a, now);
      if (created !== null)
        await insertAudit(client, {
          at: now,
          actor,
          action: 'account.create',
          target: a.username,
          details: {
            displayName: a.displayName,
            role: a.role,
            ...(a.province != null && { province: a.province }),
          },
        });
      return created;
    });
  }

  /**
   * An admin's change to an account, audited (`account.update`). Never takes the last active
   * admin: the active admins' rows are locked first (in id order, then the account's), so two
   * servers demoting the last two admins at once cannot both succeed. A new password, role or
   * state ends the account's sessions.
   */
  change(
    id: number,
    c: AccountChanges,
    now: number,
    actor: string,
    changed: readonly string[],
  ): Promise<Result<AccountRecord, AccountChangeRefusal>> {
    return withPgTransaction(
      this.pool,
      async (client): Promise<Result<AccountRecord, AccountChangeRefusal>> => {
        const admins = await client.query<{ id: number }>(
          "SELECT id FROM admin_accounts WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
        );
        const current = await byId(client, id, true);
        if (current === null) return fail('unknown_account');
        const wasActiveAdmin = current.role === 'admin' && current.disabledAt === null;
        const staysActiveAdmin =
          (c.role ?? current.role) === 'admin' && !(c.disabled ?? current.disabledAt !== null);
        if (wasActiveAdmin && !staysActiveAdmin && admins.rows.length <= 1) return fail('last_admin');
        const roleChanged = c.role !== undefined && c.role !== current.role;
        const stateChanged = c.disabled !== undefined && c.disabled !== (current.disabledAt !== null);
        const updated = await updateAccount(client, id, c, now);
        if (updated === null) return fail('unknown_account');
        const endedSessions =
          roleChanged || stateChanged || c.passwordHash !== undefined
            ? await removeSessionsOf(client, id, null)
            : 0;
        await insertAudit(client, {
          at: now,
          actor,
          action: 'account.update',
          target: current.username,
          details: {
            changed,
            ...(c.displayName !== undefined && { displayName: c.displayName }),
            ...(c.role !== undefined && { role: c.role }),
            ...(c.disabled !== undefined && { disabled: c.disabled }),
            ...(c.province !== undefined && { province: c.province }),
            endedSessions,
          },
        });
        return ok(updated);
      },
    );
  }

  /**
   * A wrong password for an account, audited (`session.login_failed`, and `session.locked` when
   * it locks) in one transaction. Returns the lock's end if this failure locked the account.
   */
  recordWrongPassword(
    a: AccountRecord,
    now: number,
    actor: string,
    policy: LockPolicy,
  ): Promise<number | null> {
    return withPgTransaction(this.pool, async (client) => {
      const until = await countFailure(client, a.id, now, policy);
      await insertAudit(client, {
        at: now,
        actor,
        action: 'session.login_failed',
        target: a.username,
        details: { reason: 'bad_password' },
      });
      if (until !== null)
        await insertAudit(client, {
          at: now,
          actor,
          action: 'session.locked',
          target: a.username,
          details: { until },
        });
      return until;
    });
  }

  /**
   * A good sign-in, once the password is checked: re-reads the account with its row locked (an
   * admin or another server may have locked or disabled it meanwhile), ends the request's previous
   * session, clears the failures, stores a rehashed password, audits (`session.login`) and stores
   * the new session (clearing expired ones), all in one transaction.
   */
  signIn(
    a: AccountRecord,
    now: number,
    o: { readonly ip: string; readonly previousTokenHash: string | null; readonly rehashed: string | null },
    session: NewSession,
  ): Promise<Result<null, SignInRefusal>> {
    return withPgTransaction(this.pool, async (client): Promise<Result<null, SignInRefusal>> => {
      const fresh = await byId(client, a.id, true);
      if (fresh === null || fresh.disabledAt !== null) return fail({ reason: 'unusable' });
      if (fresh.lockedUntil !== null && fresh.lockedUntil > now)
        return fail({ reason: 'locked', until: fresh.lockedUntil });
      if (o.previousTokenHash !== null)
        await client.query('DELETE FROM admin_sessions WHERE token_hash = $1', [o.previousTokenHash]);
      // recordSuccess, and with a rehashed password what update() does for a new one.
      await client.query(
        `UPDATE admin_accounts SET failed_logins = 0, locked_until = NULL, last_login_at = $2,
           password_hash = coalesce($3::text, password_hash),
           updated_at = CASE WHEN $3::text IS NULL THEN updated_at ELSE $2 END
         WHERE id = $1`,
        [a.id, now, o.rehashed],
      );
      await insertAudit(client, {
        at: now,
        actor: a.username,
        action: 'session.login',
        target: a.username,
        details: { ip: o.ip },
      });
      await client.query('DELETE FROM admin_sessions WHERE expires_at <= $1', [now]);
      await insertSession(client, { ...session, accountId: a.id, now });
      return ok(null);
    });
  }

  /** Signs a session out, audited (`session.logout`). */
  signOut(tokenHash: string, username: string, now: number): Promise<void> {
    return withPgTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM admin_sessions WHERE token_hash = $1', [tokenHash]);
      await insertAudit(client, {
        at: now,
        actor: username,
        action: 'session.logout',
        target: username,
        details: null,
      });
    });
  }

  /** An account's own new password: ends its other sessions, audited (`session.password`). */
  changeOwnPassword(
    a: AccountRecord,
    passwordHash: string,
    keepTokenHash: string,
    now: number,
  ): Promise<void> {
    return withPgTransaction(this.pool, async (client) => {
      await updateAccount(client, a.id, { passwordHash }, now);
      const endedSessions = await removeSessionsOf(client, a.id, keepTokenHash);
      await insertAudit(client, {
        at: now,
        actor: a.username,
        action: 'session.password',
        target: a.username,
        details: { endedSessions },
      });
    });
  }
}

// Over 350 lines: admin_accounts, admin_sessions and their audited changes are one class (Services.accounts).
import { fail, ok, type AccountRole, type Result } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import { AuditRepository } from './audit-repository.js';

/** What an account may do: `admin` changes things, `viewer` only looks (the admin contract's word). */
export type { AccountRole };

/** An admin console account as routes see it (never with its password hash). */
export interface AccountRecord {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly role: AccountRole;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly disabledAt: number | null;
  readonly failedLogins: number;
  readonly lockedUntil: number | null;
  readonly lastLoginAt: number | null;
  /** The province (GSO code) the account is limited to, null for none (issue 16). */
  readonly province: number | null;
}

/** A stored session joined with its account. */
export interface SessionRecord {
  readonly tokenHash: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly account: AccountRecord;
}

/** The fields of an account that an update may change. */
export interface AccountChanges {
  readonly displayName?: string;
  readonly role?: AccountRole;
  readonly passwordHash?: string;
  readonly disabled?: boolean;
  /** A province to limit the account to; null lifts the limit. */
  readonly province?: number | null;
}

/** A new account (the password already hashed). */
export interface NewAccount {
  readonly username: string;
  readonly displayName: string;
  readonly role: AccountRole;
  readonly passwordHash: string;
  readonly province?: number | null;
}

/** Why an account change was refused: no such account, or it would leave no active admin. */
export type AccountChangeRefusal = 'unknown_account' | 'last_admin';

/** Why a checked password still opens no session: the account is gone or disabled, or locked. */
export type SignInRefusal =
  { readonly reason: 'unusable' } | { readonly reason: 'locked'; readonly until: number };

/** An account row as both engines select it (`ACCOUNT_COLUMNS`). */
export interface AccountRow {
  id: number;
  username: string;
  display_name: string;
  role: AccountRole;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
  failed_logins: number;
  locked_until: number | null;
  last_login_at: number | null;
  province: number | null;
}

/** A session row joined with its account. */
export interface SessionRow extends AccountRow {
  token_hash: string;
  csrf_token: string;
  s_created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export const ACCOUNT_COLUMNS = `a.id, a.username, a.display_name, a.role, a.created_at, a.updated_at, a.disabled_at,
  a.failed_logins, a.locked_until, a.last_login_at, a.province`;

export const toAccount = (r: AccountRow): AccountRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  disabledAt: r.disabled_at,
  failedLogins: r.failed_logins,
  lockedUntil: r.locked_until,
  lastLoginAt: r.last_login_at,
  province: r.province,
});

/**
 * Admin accounts and their sessions (passwords as scrypt hashes, session tokens as SHA-256). The
 * changes an admin or a sign-in makes run in one transaction with their audit records.
 */
/** A console session as sign-in stores it (the token's hash only). */
export interface NewSession {
  readonly tokenHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export class AccountsRepository {
  constructor(
    private readonly db: Db,
    private readonly audit = new AuditRepository(db),
  ) {}

  /** Adds an account; null if the username (case-insensitive) is taken. */
  create(a: NewAccount, now: number): AccountRecord | null {
    const res = this.db
      .prepare(
        `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at, province)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
      )
      .run(a.username.toLowerCase(), a.displayName, a.role, a.passwordHash, now, now, a.province ?? null);
    return res.changes === 0 ? null : this.getById(Number(res.lastInsertRowid));
  }

  /** One account by username (case-insensitive). */
  get(username: string): AccountRecord | null {
    const row = this.db
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a WHERE a.username = ?`)
      .get(username) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  /** One account by id. */
  getById(id: number): AccountRecord | null {
    const row = this.db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a WHERE a.id = ?`).get(id) as
      AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  /** The stored password hash of an account (for verification only). */
  passwordHash(id: number): string | null {
    const row = this.db.prepare('SELECT password_hash FROM admin_accounts WHERE id = ?').get(id) as
      { password_hash: string } | undefined;
    return row?.password_hash ?? null;
  }

  /** All accounts, by username. */
  list(): AccountRecord[] {
    const rows = this.db
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM admin_accounts a ORDER BY a.username`)
      .all() as AccountRow[];
    return rows.map(toAccount);
  }

  /** How many enabled accounts have the admin role. */
  countActiveAdmins(): number {
    const row = this.db
      .prepare("SELECT count(*) AS n FROM admin_accounts WHERE role = 'admin' AND disabled_at IS NULL")
      .get() as { n: number };
    return row.n;
  }

  /** Applies changes; re-enabling also clears a lockout. Returns the updated account. */
  update(id: number, c: AccountChanges, now: number): AccountRecord | null {
    this.db
      .prepare(
        `UPDATE admin_accounts SET
           display_name  = coalesce(@displayName, display_name),
           role          = coalesce(@role, role),
           password_hash = coalesce(@passwordHash, password_hash),
           disabled_at   = CASE @disabled WHEN 1 THEN coalesce(disabled_at, @now) WHEN 0 THEN NULL ELSE disabled_at END,
           failed_logins = CASE WHEN @disabled = 0 OR @passwordHash IS NOT NULL THEN 0 ELSE failed_logins END,
           locked_until  = CASE WHEN @disabled = 0 OR @passwordHash IS NOT NULL THEN NULL ELSE locked_until END,
           province      = CASE WHEN @provinceSet = 1 THEN @province ELSE province END,
           updated_at    = @now
         WHERE id = @id`,
      )
      .run({
        id,
        now,
        displayName: c.displayName ?? null,
        role: c.role ?? null,
        passwordHash: c.passwordHash ?? null,
        disabled: c.disabled === undefined ? null : c.disabled ? 1 : 0,
        provinceSet: c.province === undefined ? 0 : 1,
        province: c.province ?? null,
      });
    return this.getById(id);
  }

  /**
   * Counts one wrong password; the `maxFailures`-th in a row locks the account until
   * `now + lockMs` and starts the count again. Returns the lock's end if this failure locked it.
   */
  recordFailure(id: number, now: number, maxFailures: number, lockMs: number): number | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          'UPDATE admin_accounts SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins',
        )
        .get(id) as { failed_logins: number } | undefined;
      if (!row || row.failed_logins < maxFailures) return null;
      const until = now + lockMs;
      this.db
        .prepare('UPDATE admin_accounts SET failed_logins = 0, locked_until = ? WHERE id = ?')
        .run(until, id);
      return until;
    })();
  }

  /** A good sign-in: failures and an expired lock cleared, the time noted. */
  recordSuccess(id: number, now: number): void {
    this.db
      .prepare(
        'UPDATE admin_accounts SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?',
      )
      .run(now, id);
  }

  /** Stores a new session (the token's SHA-256 only). */
  createSession(s: {
    tokenHash: string;
    accountId: number;
    csrfToken: string;
    now: number;
    expiresAt: number;
  }): void {
    this.db
      .prepare(
        `INSERT INTO admin_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(s.tokenHash, s.accountId, s.csrfToken, s.now, s.now, s.expiresAt);
  }

  /** A session with its account, expired or not (the caller decides). */
  findSession(tokenHash: string): SessionRecord | null {
    const row = this.db
      .prepare(
        `SELECT s.token_hash, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at,
                ${ACCOUNT_COLUMNS}
         FROM admin_sessions s JOIN admin_accounts a ON a.id = s.account_id WHERE s.token_hash = ?`,
      )
      .get(tokenHash) as SessionRow | undefined;
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
  touchSession(tokenHash: string, now: number, expiresAt: number): void {
    this.db
      .prepare('UPDATE admin_sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?')
      .run(now, expiresAt, tokenHash);
  }

  /** Ends one session. */
  deleteSession(tokenHash: string): void {
    this.db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?').run(tokenHash);
  }

  /** Ends all sessions of an account but one (if given); returns how many ended. */
  deleteSessionsOf(accountId: number, exceptTokenHash: string | null = null): number {
    return this.db
      .prepare('DELETE FROM admin_sessions WHERE account_id = ? AND (? IS NULL OR token_hash <> ?)')
      .run(accountId, exceptTokenHash, exceptTokenHash).changes;
  }

  /** Drops sessions past their expiry; returns how many. */
  deleteExpiredSessions(now: number): number {
    return this.db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?').run(now).changes;
  }

  /** How many live sessions an account has (for tests and the accounts list). */
  countSessions(accountId: number, now: number): number {
    const row = this.db
      .prepare('SELECT count(*) AS n FROM admin_sessions WHERE account_id = ? AND expires_at > ?')
      .get(accountId, now) as { n: number };
    return row.n;
  }
  /** Adds an account and audits it (`account.create`); null if the username is taken. */
  add(a: NewAccount, now: number, actor: string): AccountRecord | null {
    return this.db.transaction(() => {
      const created = this.create(a, now);
      if (created !== null)
        this.audit.record(now, actor, 'account.create', a.username, {
          displayName: a.displayName,
          role: a.role,
          ...(a.province != null && { province: a.province }),
        });
      return created;
    })();
  }

  /**
   * An admin's change to an account, audited (`account.update`, `changed` naming the fields the
   * request held). Never takes the last active admin; a new password, role or state ends the
   * account's sessions.
   */
  change(
    id: number,
    c: AccountChanges,
    now: number,
    actor: string,
    changed: readonly string[],
  ): Result<AccountRecord, AccountChangeRefusal> {
    return this.db.transaction((): Result<AccountRecord, AccountChangeRefusal> => {
      const current = this.getById(id);
      if (current === null) return fail('unknown_account');
      const wasActiveAdmin = current.role === 'admin' && current.disabledAt === null;
      const staysActiveAdmin =
        (c.role ?? current.role) === 'admin' && !(c.disabled ?? current.disabledAt !== null);
      if (wasActiveAdmin && !staysActiveAdmin && this.countActiveAdmins() <= 1) return fail('last_admin');
      const roleChanged = c.role !== undefined && c.role !== current.role;
      const stateChanged = c.disabled !== undefined && c.disabled !== (current.disabledAt !== null);
      const updated = this.update(id, c, now);
      if (updated === null) return fail('unknown_account');
      const endedSessions =
        roleChanged || stateChanged || c.passwordHash !== undefined ? this.deleteSessionsOf(id) : 0;
      this.audit.record(now, actor, 'account.update', current.username, {
        changed,
        ...(c.displayName !== undefined && { displayName: c.displayName }),
        ...(c.role !== undefined && { role: c.role }),
        ...(c.disabled !== undefined && { disabled: c.disabled }),
        ...(c.province !== undefined && { province: c.province }),
        endedSessions,
      });
      return ok(updated);
    })();
  }

  /**
   * A wrong password for an account, audited (`session.login_failed`, and `session.locked` when
   * it locks). Returns the lock's end if this failure locked the account.
   */
  recordWrongPassword(
    a: AccountRecord,
    now: number,
    actor: string,
    policy: { readonly maxFailures: number; readonly lockMs: number },
  ): number | null {
    return this.db.transaction(() => {
      const until = this.recordFailure(a.id, now, policy.maxFailures, policy.lockMs);
      this.audit.record(now, actor, 'session.login_failed', a.username, { reason: 'bad_password' });
      if (until !== null) this.audit.record(now, actor, 'session.locked', a.username, { until });
      return until;
    })();
  }

  /**
   * A good sign-in, once the password is checked: re-reads the account (an admin may have locked
   * or disabled it meanwhile), ends the request's previous session, clears the failures, stores a
   * rehashed password, audits (`session.login`) and stores the new session (clearing expired ones),
   * all in one transaction.
   */
  signIn(
    a: AccountRecord,
    now: number,
    o: { readonly ip: string; readonly previousTokenHash: string | null; readonly rehashed: string | null },
    session: NewSession,
  ): Result<null, SignInRefusal> {
    return this.db.transaction((): Result<null, SignInRefusal> => {
      const fresh = this.getById(a.id);
      if (fresh === null || fresh.disabledAt !== null) return fail({ reason: 'unusable' });
      if (fresh.lockedUntil !== null && fresh.lockedUntil > now)
        return fail({ reason: 'locked', until: fresh.lockedUntil });
      if (o.previousTokenHash !== null) this.deleteSession(o.previousTokenHash);
      this.recordSuccess(a.id, now);
      if (o.rehashed !== null) this.update(a.id, { passwordHash: o.rehashed }, now);
      this.audit.record(now, a.username, 'session.login', a.username, { ip: o.ip });
      this.deleteExpiredSessions(now);
      this.createSession({ ...session, accountId: a.id, now });
      return ok(null);
    })();
  }

  /** Signs a session out, audited (`session.logout`). */
  signOut(tokenHash: string, username: string, now: number): void {
    this.db.transaction(() => {
      this.deleteSession(tokenHash);
      this.audit.record(now, username, 'session.logout', username, null);
    })();
  }

  /** An account's own new password: ends its other sessions, audited (`session.password`). */
  changeOwnPassword(a: AccountRecord, passwordHash: string, keepTokenHash: string, now: number): void {
    this.db.transaction(() => {
      this.update(a.id, { passwordHash }, now);
      const endedSessions = this.deleteSessionsOf(a.id, keepTokenHash);
      this.audit.record(now, a.username, 'session.password', a.username, { endedSessions });
    })();
  }
}

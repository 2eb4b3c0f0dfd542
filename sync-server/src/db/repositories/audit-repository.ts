import type { AuditRecord } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';

/** One audit record: who did what to what, when (as `GET /api/v1/admin/audit` answers it). */
export type { AuditRecord };

/** The append-only audit log of list changes and admin actions. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  /** Appends a record (call inside the transaction of the change it describes). */
  record(at: number, actor: string, action: string, target: string | null, details: unknown = null): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)')
      .run(at, actor, action, target, details === null ? null : JSON.stringify(details));
  }

  /**
   * Newest first; `before` pages by id. `actor` is exact, `from`/`to` bound `at` (from
   * inclusive, to exclusive), `targetLike` is a `LIKE` pattern escaped with a backslash.
   */
  list(opts: {
    limit: number;
    before?: number;
    action?: string;
    actor?: string;
    from?: number;
    to?: number;
    targetLike?: string;
    /** Leave out sign-in and account records (who may sign in, from where): for viewers. */
    withoutAccounts?: boolean;
  }): AuditRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_log WHERE (@before IS NULL OR id < @before) AND (@action IS NULL OR action = @action)
           AND (@actor IS NULL OR actor = @actor) AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
           AND (@target IS NULL OR target LIKE @target ESCAPE '\\')
           AND (@withoutAccounts = 0 OR (action NOT LIKE 'session.%' AND action NOT LIKE 'account.%'))
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({
        before: opts.before ?? null,
        action: opts.action ?? null,
        actor: opts.actor ?? null,
        from: opts.from ?? null,
        to: opts.to ?? null,
        target: opts.targetLike ?? null,
        withoutAccounts: opts.withoutAccounts === true ? 1 : 0,
        limit: opts.limit,
      }) as {
      id: number;
      at: number;
      actor: string;
      action: string;
      target: string | null;
      details: string | null;
    }[];
    return rows.map((r) => ({
      ...r,
      details: r.details === null ? null : (JSON.parse(r.details) as unknown),
    }));
  }
}

import type { AuditRecord } from '@checkpoint-lane/shared';
import type { AuditStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit } from '../pg-tx.js';

/** The filters of {@link PgAuditStore.list} (those of `AuditRepository.list`). */
export type AuditListOptions = Parameters<AuditStore['list']>[0];

// SQLite's LIKE folds ASCII letters only; both sides are folded the same way here so a target
// filter matches what it matches on SQLite (an index on target would not be used either way).
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** Whether a LIKE pattern ends with an escape character that escapes nothing (SQLite: no row matches). */
function endsWithLoneEscape(pattern: string): boolean {
  let n = 0;
  for (let i = pattern.length - 1; i >= 0 && pattern[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

interface Row {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

/** The append-only audit log in PostgreSQL (`audit_log`, details as jsonb). */
export class PgAuditStore implements AuditStore {
  constructor(private readonly pool: PgPool) {}

  /** Appends a record (its own statement; changes that carry a record write it in their transaction). */
  async record(
    at: number,
    actor: string,
    action: string,
    target: string | null,
    details: unknown = null,
  ): Promise<void> {
    await insertAudit(this.pool, { at, actor, action, target, details });
  }

  /**
   * Newest first; `before` pages by id; `actor` exact; `from` inclusive, `to` exclusive;
   * `targetLike` a LIKE pattern escaped with a backslash, ASCII letters in any case (as SQLite's
   * LIKE); `withoutAccounts` leaves out `session.*` and `account.*` records. The WHERE holds only
   * the filters given.
   */
  async list(opts: AuditListOptions): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown): string => {
      params.push(v);
      return `$${String(params.length)}`;
    };
    if (opts.before !== undefined) where.push(`id < ${param(opts.before)}`);
    if (opts.action !== undefined) where.push(`action = ${param(opts.action)}`);
    if (opts.actor !== undefined) where.push(`actor = ${param(opts.actor)}`);
    if (opts.from !== undefined) where.push(`at >= ${param(opts.from)}`);
    if (opts.to !== undefined) where.push(`at < ${param(opts.to)}`);
    if (opts.targetLike !== undefined) {
      if (endsWithLoneEscape(opts.targetLike)) return [];
      where.push(
        `translate(target, '${UPPER}', '${LOWER}') LIKE translate(${param(opts.targetLike)}::text, '${UPPER}', '${LOWER}') ESCAPE '\\'`,
      );
    }
    if (opts.withoutAccounts === true)
      where.push(`action NOT LIKE 'session.%' AND action NOT LIKE 'account.%'`);
    // SQLite takes a negative LIMIT as no limit; PostgreSQL refuses it, and LIMIT NULL is none.
    const limit = param(opts.limit < 0 ? null : opts.limit);
    const r = await this.pool.query<Row>(
      `SELECT id, at, actor, action, target, details FROM audit_log
       ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    return r.rows.map((row) => ({ ...row, details: row.details ?? null }));
  }
}

import type { Statement } from 'better-sqlite3';
import type { Db } from '../../open-database.js';

/**
 * Statements prepared once per SQL text, for the ones the views run per row (a page of alerts
 * runs hundreds). Do not `.pluck()` a cached statement: that would change it for every user.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  /** The statement for `sql`, prepared on first use. */
  get(sql: string): Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
}

import type { ListName } from '@checkpoint-lane/shared';
import type { HealthRow, ListRow, WhitelistRow } from '../../lists/list-rows.js';
import type { Db } from '../open-database.js';
import { CHANGE_LOG_MAX_ROWS_PER_WRITE, ListsRepository, table } from './lists-repository.js';

let counter = 0;

/** Lines that share a subject with other lines in the same file. */
export interface DuplicateGroup {
  readonly lines: readonly number[];
}

/**
 * A bulk import staged in a TEMP table of this connection, so a 1M-row file is not held in
 * the JS heap. Each `add` is its own short transaction on the temp database (it never locks
 * the list tables); `commit` then moves the staged rows into the list as ONE version in ONE
 * transaction, in key order. Always `drop()` it.
 */
export class ListStaging {
  private readonly name = `import_${process.pid}_${++counter}`;
  private readonly insert;
  private count = 0;

  constructor(
    private readonly db: Db,
    readonly list: ListName,
  ) {
    db.exec(`CREATE TEMP TABLE ${this.name} (
      line INTEGER PRIMARY KEY, key INTEGER NOT NULL, subject TEXT NOT NULL,
      a TEXT NOT NULL, b INTEGER, c INTEGER, d TEXT, name TEXT, note TEXT, rejected INTEGER NOT NULL DEFAULT 0)`);
    this.insert = db.prepare(
      `INSERT INTO temp.${this.name} (line, key, subject, a, b, c, d, name, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Stages validated rows with their line numbers (one short transaction). */
  add(rows: readonly { line: number; row: ListRow }[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (const { line, row } of rows) {
        if (this.list === 'health') {
          const r = row as HealthRow;
          this.insert.run(line, r.key, r.subject, r.status, r.since, r.until, null, r.name, r.note);
        } else {
          const r = row as WhitelistRow;
          const set = r.checkpoints === null ? null : `;${r.checkpoints.join(';')};`;
          this.insert.run(line, r.key, r.subject, r.category, r.validFrom, r.validUntil, set, r.name, r.note);
        }
      }
    })();
    this.count += rows.length;
  }

  /** Marks every line whose subject appears more than once as rejected; returns the groups. */
  rejectDuplicates(): DuplicateGroup[] {
    const groups = this.db
      .prepare(
        `SELECT group_concat(line) AS lines FROM (SELECT subject, line FROM temp.${this.name} ORDER BY subject, line)
         GROUP BY subject HAVING count(*) > 1`,
      )
      .pluck()
      .all() as string[];
    if (groups.length === 0) return [];
    this.db
      .prepare(
        `UPDATE temp.${this.name} SET rejected = 1 WHERE subject IN
           (SELECT subject FROM temp.${this.name} GROUP BY subject HAVING count(*) > 1)`,
      )
      .run();
    return groups.map((g) => ({ lines: g.split(',').map(Number) }));
  }

  /** Rows staged and not rejected. */
  accepted(): number {
    return this.db
      .prepare(`SELECT count(*) FROM temp.${this.name} WHERE rejected = 0`)
      .pluck()
      .get() as number;
  }

  /** Up to `max` accepted rows (for the urgent lane push of small writes). */
  sample(max: number): ListRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM temp.${this.name} WHERE rejected = 0 ORDER BY line LIMIT ?`)
      .safeIntegers(true)
      .all(max) as {
      key: bigint;
      subject: string;
      a: string;
      b: bigint | null;
      c: bigint | null;
      d: string | null;
      name: string | null;
      note: string | null;
    }[];
    const n = (v: bigint | null): number | null => (v === null ? null : Number(v));
    return rows.map((r) =>
      this.list === 'health'
        ? ({
            key: r.key,
            subject: r.subject,
            status: r.a,
            since: n(r.b),
            until: n(r.c),
            name: r.name,
            note: r.note,
          } as HealthRow)
        : ({
            key: r.key,
            subject: r.subject,
            category: r.a,
            validFrom: n(r.b),
            validUntil: n(r.c),
            checkpoints: r.d === null ? null : r.d.split(';').filter((x) => x !== ''),
            name: r.name,
            note: r.note,
          } as WhitelistRow),
    );
  }

  /**
   * Writes the accepted rows as one new list version (entries, counter, change log and the
   * version's history row naming `actor`, in one transaction, inserted in key order). With
   * `replace`, entries not staged are deleted. Returns the new version (unchanged when there
   * was nothing to write).
   */
  commit(opts: { now: number; replace: boolean; actor: string }): number {
    const list = this.list;
    const tbl = table(list);
    const cols =
      list === 'health'
        ? 'subject_key, subject, status, since, until, name, note, version, updated_at'
        : 'subject_key, subject, category, valid_from, valid_until, checkpoints, name, note, version, updated_at';
    const pick =
      list === 'health' ? 'key, subject, a, b, c, name, note' : 'key, subject, a, b, c, d, name, note';
    return this.db.transaction(() => {
      const st = this.db.prepare('SELECT version FROM list_state WHERE list = ?').pluck().get(list) as number;
      const accepted = this.accepted();
      if (accepted === 0 && !opts.replace) return st;
      const version = st + 1;
      this.db
        .prepare(
          `INSERT OR REPLACE INTO ${tbl} (${cols})
           SELECT ${pick}, @version, @now FROM temp.${this.name} WHERE rejected = 0 ORDER BY key`,
        )
        .run({ version, now: opts.now });
      const deleted = opts.replace
        ? (this.db.prepare(`SELECT count(*) FROM ${tbl} WHERE version < ?`).pluck().get(version) as number)
        : 0;
      if (accepted + deleted > CHANGE_LOG_MAX_ROWS_PER_WRITE) {
        this.db.prepare('DELETE FROM list_changes WHERE list = ?').run(list);
        this.db.prepare('UPDATE list_state SET changes_from = ? WHERE list = ?').run(version, list);
      } else {
        this.db
          .prepare(
            `INSERT OR IGNORE INTO list_changes (list, version, subject_key)
             SELECT ?, ?, key FROM temp.${this.name} WHERE rejected = 0`,
          )
          .run(list, version);
        if (deleted > 0) {
          this.db
            .prepare(
              `INSERT OR IGNORE INTO list_changes (list, version, subject_key)
               SELECT ?, ?, subject_key FROM ${tbl} WHERE version < ?`,
            )
            .run(list, version, version);
        }
      }
      if (deleted > 0) this.db.prepare(`DELETE FROM ${tbl} WHERE version < ?`).run(version);
      this.db.prepare('UPDATE list_state SET version = ? WHERE list = ?').run(version, list);
      const repo = new ListsRepository(this.db);
      repo.recordVersion(list, {
        version,
        at: opts.now,
        actor: opts.actor,
        action: 'list.import',
        changes: accepted + deleted,
      });
      repo.pruneChangeLog(list);
      return version;
    })();
  }

  /** Drops the staging table. */
  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.${this.name}`);
  }
}

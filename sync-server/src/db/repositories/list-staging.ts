import type { ListName } from '@checkpoint-lane/shared';
import { listKind, storedColumns, type Cell, type ListKind, type ListRows } from '../../lists/list-kinds.js';
import type { Db } from '../open-database.js';

let counter = 0;

/** Lines that share a subject with other lines in the same file. */
export interface DuplicateGroup {
  readonly lines: readonly number[];
}

/**
 * A bulk import staged in a TEMP table of this connection with the columns of the list's entry
 * table, so a 1M-row file is not held in the JS heap. Each `add` is its own short transaction on
 * the temp database (it never locks the list tables). Only `ListWriter` moves staged rows into
 * the list (as one version, in key order). Always `drop()` it.
 */
export class ListStaging<L extends ListName = ListName> {
  /** The TEMP table's name (unique on this connection; never user input). */
  readonly table = `temp.import_${process.pid}_${++counter}`;
  readonly kind: ListKind<L>;
  private readonly insert;
  /** The insert's parameters, refilled for each row (a 1M-row import allocates no array per row). */
  readonly #cells: Cell[];

  constructor(
    private readonly db: Db,
    readonly list: L,
  ) {
    this.kind = listKind(list);
    const attrs = this.kind.attributes;
    db.exec(`CREATE TEMP TABLE ${this.table.slice('temp.'.length)} (
      line INTEGER PRIMARY KEY, subject_key INTEGER NOT NULL, subject TEXT NOT NULL,
      ${attrs.map((c) => `${c.name} ${c.type}`).join(', ')},
      name TEXT, note TEXT, rejected INTEGER NOT NULL DEFAULT 0)`);
    this.insert = db.prepare(
      `INSERT INTO ${this.table} (line, subject_key, subject, ${storedColumns(this.kind).join(', ')}) VALUES (?, ?, ?, ${attrs.map(() => '?').join(', ')}, ?, ?)`,
    );
    this.#cells = new Array<Cell>(3 + attrs.length + 2).fill(null);
  }

  /** Stages validated rows with their line numbers (one short transaction). */
  add(rows: readonly { line: number; row: ListRows[L] }[]): void {
    if (rows.length === 0) return;
    const cells = this.#cells;
    const name = 3 + this.kind.attributes.length;
    this.db.transaction(() => {
      for (const { line, row } of rows) {
        cells[0] = line;
        cells[1] = row.key;
        cells[2] = row.subject;
        this.kind.encode(row, cells, 3);
        cells[name] = row.name;
        cells[name + 1] = row.note;
        this.insert.run(...cells);
      }
    })();
  }

  /** Marks every line whose subject appears more than once as rejected; returns the groups. */
  rejectDuplicates(): DuplicateGroup[] {
    const groups = this.db
      .prepare(
        `SELECT group_concat(line) AS lines FROM (SELECT subject, line FROM ${this.table} ORDER BY subject, line)
         GROUP BY subject HAVING count(*) > 1`,
      )
      .pluck()
      .all() as string[];
    if (groups.length === 0) return [];
    this.db
      .prepare(
        `UPDATE ${this.table} SET rejected = 1 WHERE subject IN
           (SELECT subject FROM ${this.table} GROUP BY subject HAVING count(*) > 1)`,
      )
      .run();
    return groups.map((g) => ({ lines: g.split(',').map(Number) }));
  }

  /** Rows staged and not rejected. */
  accepted(): number {
    return this.db.prepare(`SELECT count(*) FROM ${this.table} WHERE rejected = 0`).pluck().get() as number;
  }

  /** Up to `max` accepted rows, by line (for the urgent lane push of small writes). */
  sample(max: number): ListRows[L][] {
    const rows = this.db
      .prepare(`SELECT * FROM ${this.table} WHERE rejected = 0 ORDER BY line LIMIT ?`)
      .safeIntegers(true)
      .all(max) as Record<string, unknown>[];
    return rows.map((r) => this.kind.decode(r));
  }

  /** Drops the staging table. */
  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}

// How many entries a lane holds of each list, kept with the list's version so a signed changes
// answer names its count without counting 10M rows. Per list and count scope: the health list
// has one scope (''); the whitelist counts its entries valid everywhere under '*' and each
// checkpoint's own entries under the checkpoint's id, so a lane at X holds n('*') + n(X).
import type { ListName } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { listKind } from './list-kinds.js';

/** Count scope of the whitelist entries valid at every checkpoint. */
export const EVERYWHERE_SCOPE = '*';

/** Stored entries grouped by the column that decides their count scopes. */
interface ScopeGroup {
  readonly s: string | null;
  readonly n: number;
}

/** SQL: the column that decides an entry's count scopes (health: none). */
const SCOPE_COLUMN: Readonly<Record<ListName, string>> = { health: 'NULL', whitelist: 'checkpoints' };

/** The count scopes one stored entry adds to: `;A;B;` → A and B, NULL → everywhere. */
function scopesOf(list: ListName, cell: string | null): string[] {
  if (list === 'health') return [''];
  if (cell === null) return [EVERYWHERE_SCOPE];
  return cell.split(';').filter((s) => s !== '');
}

/**
 * The `list_counts` table. `ListWriter` removes the contributions of the rows a write replaces
 * or deletes and adds those of the rows it wrote, inside the write's transaction (a write that
 * replaces the whole list counts it again instead); a snapshot build (which counts its entries
 * anyway) puts a count right if it ever drifted.
 */
export class ListCounts {
  constructor(private readonly db: Db) {}

  /**
   * Rows matching `where` (SQL with its parameters) of the list's entry table, or of `table`
   * (a table with the same columns: an import's staging table), grouped by their scope column:
   * one pass, whatever the number of rows.
   */
  groups(
    list: ListName,
    where: string,
    params: readonly unknown[],
    table: string = listKind(list).table,
  ): ScopeGroup[] {
    return this.db
      .prepare(`SELECT ${SCOPE_COLUMN[list]} AS s, count(*) AS n FROM ${table} WHERE ${where} GROUP BY 1`)
      .all(...params) as ScopeGroup[];
  }

  /** Whether the list holds no entry. */
  empty(list: ListName): boolean {
    return this.db.prepare(`SELECT 1 FROM ${listKind(list).table} LIMIT 1`).get() === undefined;
  }

  /** Adds (`sign` 1) or removes (−1) the contributions of grouped entries. */
  apply(list: ListName, groups: readonly ScopeGroup[], sign: 1 | -1): void {
    const delta = new Map<string, number>();
    for (const g of groups)
      for (const scope of scopesOf(list, g.s)) delta.set(scope, (delta.get(scope) ?? 0) + sign * g.n);
    const add = this.db.prepare(
      `INSERT INTO list_counts (list, scope, n) VALUES (?, ?, ?)
       ON CONFLICT (list, scope) DO UPDATE SET n = n + excluded.n`,
    );
    for (const [scope, n] of delta) if (n !== 0) add.run(list, scope, n);
  }

  /** Counts a list again from its rows (one grouped pass): after a write that replaced it whole. */
  recount(list: ListName): void {
    const groups = this.groups(list, '1', []);
    this.db.prepare('DELETE FROM list_counts WHERE list = ?').run(list);
    this.apply(list, groups, 1);
  }

  /** The entries a lane at `checkpointId` holds of `list` (its signed count). */
  laneCount(list: ListName, checkpointId: string): number {
    const n = this.db.prepare('SELECT n FROM list_counts WHERE list = ? AND scope = ?').pluck();
    if (list === 'health') return (n.get(list, '') as number | undefined) ?? 0;
    return (
      ((n.get(list, EVERYWHERE_SCOPE) as number | undefined) ?? 0) +
      ((n.get(list, checkpointId) as number | undefined) ?? 0)
    );
  }

  /**
   * Sets the counts a snapshot build found at `version` (health: `everywhere` is the whole
   * list; whitelist: the entries valid everywhere and those of `checkpointId`), if the list is
   * still at that version. Returns true when a stored count was wrong.
   */
  correct(
    list: ListName,
    version: number,
    checkpointId: string,
    found: { everywhere: number; here: number },
  ): boolean {
    return this.db.transaction(() => {
      const current = this.db.prepare('SELECT version FROM list_state WHERE list = ?').pluck().get(list);
      if (current !== version) return false;
      const pairs: [string, number][] =
        list === 'health'
          ? [['', found.everywhere]]
          : [
              [EVERYWHERE_SCOPE, found.everywhere],
              [checkpointId, found.here],
            ];
      const get = this.db.prepare('SELECT n FROM list_counts WHERE list = ? AND scope = ?').pluck();
      const set = this.db.prepare('INSERT OR REPLACE INTO list_counts (list, scope, n) VALUES (?, ?, ?)');
      let wrong = false;
      for (const [scope, n] of pairs) {
        if (((get.get(list, scope) as number | undefined) ?? 0) === n) continue;
        wrong = true;
        set.run(list, scope, n);
      }
      return wrong;
    })();
  }
}

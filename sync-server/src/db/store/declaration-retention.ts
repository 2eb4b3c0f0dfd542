// Retention of movement declarations (issue 16): a declaration (name, personal ID, phone) is
// deleted once its pass window, or for a declaration held by the health list (no pass) its travel
// date, ended more than the scan-subject retention ago. Run by both engines' daily `maintain`,
// beside the scans' subject erase, and audited the same way (the count only).
import type { Db } from '../open-database.js';
import type { Queryable } from '../pg/pg-tx.js';
import { ERASE_BATCH, RETENTION_ACTOR, retentionCutoff } from './trace-rows.js';

/** The `YYYY-MM-DD` date in Vietnam (UTC+7, no summer time) at `at`, as declarations' travel dates. */
const vietnamDate = (at: number): string => new Date(at + 7 * 3_600_000).toISOString().slice(0, 10);

/** The audit action of a retention run that deleted declarations (details `{count, before}`). */
export const DECLARATIONS_ERASED_ACTION = 'declarations.erased';

/** Deletes, in batches, the declarations ended before the cutoff; answers how many. */
export type DeclarationsEraser = (before: number, beforeDate: string) => Promise<number>;

// A pass's window ended at valid_until; a held declaration's travel day (Vietnam date) ended by
// the start of the cutoff's date when it is before that date (ISO dates compare as text).
const ENDED = `(pass_id IS NOT NULL AND valid_until < ?) OR (pass_id IS NULL AND travel_date < ?)`;

/** SQLite: in batches, each its own statement. */
export function sqliteDeclarationsEraser(db: Db): DeclarationsEraser {
  const del = db.prepare(
    `DELETE FROM declarations WHERE id IN (SELECT id FROM declarations WHERE ${ENDED} LIMIT ?)`,
  );
  return async (before, beforeDate) => {
    let total = 0;
    for (;;) {
      const n = del.run(before, beforeDate, ERASE_BATCH).changes;
      total += n;
      if (n < ERASE_BATCH) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
}

/** PostgreSQL: in batches, each its own statement. */
export function pgDeclarationsEraser(q: Queryable): DeclarationsEraser {
  let n = 0;
  const ended = ENDED.replace(/\?/g, () => `$${String(++n)}`);
  return async (before, beforeDate) => {
    let total = 0;
    for (;;) {
      const r = await q.query(
        `DELETE FROM declarations WHERE id = ANY (ARRAY(SELECT id FROM declarations WHERE ${ended} LIMIT $3))`,
        [before, beforeDate, ERASE_BATCH],
      );
      const count = r.rowCount ?? 0;
      total += count;
      if (count < ERASE_BATCH) return total;
    }
  };
}

/**
 * Deletes the declarations that ended more than `days` before `now` and audits the run when it
 * deleted any (how many and the cutoff; never who).
 */
export async function eraseOldDeclarations(
  erase: DeclarationsEraser,
  audit: {
    record(
      at: number,
      actor: string,
      action: string,
      target: string | null,
      details?: unknown,
    ): Promise<void>;
  },
  now: number,
  days: number,
): Promise<number> {
  const before = retentionCutoff(now, days);
  const count = await erase(before, vietnamDate(before));
  if (count > 0)
    await audit.record(now, RETENTION_ACTOR, DECLARATIONS_ERASED_ACTION, null, { count, before });
  return count;
}

import type { PgPool } from './open-pg.js';
import { withPgTransaction } from './pg-tx.js';

/**
 * How long upkeep waits for a lock on `scans` before giving up (it retries the next day): adding
 * or dropping a partition locks the whole table, and waiting behind a long search would hold
 * every upload up behind it.
 */
export const UPKEEP_LOCK_TIMEOUT = '5s';

/** What one partition upkeep run did. */
export interface ScanPartitionUpkeep {
  /** Months added (each `scans_YYYY_MM`, with the rows the default partition held for it). */
  readonly created: number;
  /** Months dropped by retention. */
  readonly dropped: number;
  /** Epoch ms before which whole months were dropped (null: no retention asked). */
  readonly cutoff: number | null;
}

/** The start (epoch ms) of the UTC month `months` before the one holding `now`. */
export function monthStartBefore(now: number, months: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1);
}

/**
 * The scans table's partition upkeep (migration 002's functions), to run daily on any server:
 * makes sure the month holding `now` and the `monthsAhead - 1` after it exist
 * (`ensure_scan_partitions`), and with `retainMonths` drops the months that end before the start
 * of the month `retainMonths` before the current one (`drop_scan_partitions_before`): with
 * `retainMonths: 12` the current month and the 12 before it are kept. Both functions take one
 * advisory lock, so servers running it together do the work once.
 */
export async function maintainScanPartitions(
  pool: PgPool,
  now: number,
  opts: { readonly monthsAhead: number; readonly retainMonths?: number },
): Promise<ScanPartitionUpkeep> {
  if (!Number.isInteger(opts.monthsAhead) || opts.monthsAhead < 1 || opts.monthsAhead > 120)
    throw new Error(`monthsAhead must be a whole number from 1 to 120, not ${opts.monthsAhead}`);
  if (opts.retainMonths !== undefined && (!Number.isInteger(opts.retainMonths) || opts.retainMonths < 0))
    throw new Error(`retainMonths must be a whole number of months (0 or more), not ${opts.retainMonths}`);
  if (!Number.isSafeInteger(now)) throw new Error(`now must be epoch ms, not ${now}`);
  const created = await withPgTransaction(pool, async (c) => {
    await c.query(`SET LOCAL lock_timeout = '${UPKEEP_LOCK_TIMEOUT}'`);
    return c.query<{ n: number }>('SELECT ensure_scan_partitions($1, $2) AS n', [now, opts.monthsAhead]);
  });
  let dropped = 0;
  let cutoff: number | null = null;
  if (opts.retainMonths !== undefined) {
    cutoff = monthStartBefore(now, opts.retainMonths);
    const before = cutoff;
    const d = await withPgTransaction(pool, async (c) => {
      await c.query(`SET LOCAL lock_timeout = '${UPKEEP_LOCK_TIMEOUT}'`);
      return c.query<{ n: number }>('SELECT drop_scan_partitions_before($1) AS n', [before]);
    });
    dropped = d.rows[0]?.n ?? 0;
  }
  return { created: created.rows[0]?.n ?? 0, dropped, cutoff };
}

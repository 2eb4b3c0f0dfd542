import type { Db } from '../../open-database.js';

/** One hour of scans, for the roll-up. */
export const HOUR_MS = 3_600_000;

/** Scans per checkpoint and hour, by lane decision, as the charts read them. */
export interface HourlyCount {
  readonly checkpointId: string;
  readonly hour: number;
  readonly decision: string;
  readonly count: number;
}

/**
 * New scans of one upload per (hour, decision), written to the roll-up as one upsert each:
 * call `flush` in the transaction that stored the scans.
 */
export class HourlyTally {
  private readonly slots = new Map<string, { hour: number; decision: string; count: number }>();

  /** Counts one new scan at lane time `at`. */
  add(at: number, decision: string): void {
    const hour = at - (at % HOUR_MS);
    const slot = `${hour}/${decision}`;
    const h = this.slots.get(slot);
    if (h) h.count++;
    else this.slots.set(slot, { hour, decision, count: 1 });
  }

  /** Adds the counts to `scan_hourly` for this checkpoint. */
  flush(db: Db, checkpointId: string): void {
    if (this.slots.size === 0) return;
    const bump = db.prepare(
      `INSERT INTO scan_hourly (checkpoint_id, hour, decision, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour, checkpoint_id, decision) DO UPDATE SET count = count + excluded.count`,
    );
    for (const h of this.slots.values()) bump.run(checkpointId, h.hour, h.decision, h.count);
  }
}

/** The hourly scan roll-up the charts read, and the count of stored scans. */
export class ScanRollups {
  constructor(private readonly db: Db) {}

  /** Hourly scan counts with `from <= hour < to`, optionally for one checkpoint. */
  hourly(from: number, to: number, checkpointId?: string): HourlyCount[] {
    return (
      this.db
        .prepare(
          `SELECT checkpoint_id, hour, decision, count FROM scan_hourly
           WHERE hour >= @from AND hour < @to AND (@checkpoint IS NULL OR checkpoint_id = @checkpoint)
           ORDER BY hour, checkpoint_id, decision`,
        )
        .all({ from, to, checkpoint: checkpointId ?? null }) as {
        checkpoint_id: string;
        hour: number;
        decision: string;
        count: number;
      }[]
    ).map((r) => ({ checkpointId: r.checkpoint_id, hour: r.hour, decision: r.decision, count: r.count }));
  }

  /** Count of stored scans (all lanes). */
  countScans(): number {
    return this.db.prepare('SELECT count(*) FROM scans').pluck().get() as number;
  }
}

import type { ListRefusalReport, OfficerRole, OfficerRoster } from '@checkpoint-lane/shared';
import type { LaneStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction } from '../pg-tx.js';
import { enrollKiosk, hasNul } from './pg-kiosks.js';

/**
 * The kiosk API's units of work about lanes on PostgreSQL (see `LaneTransactions` for the SQLite
 * twin): a lane's list-refusal report, an enrollment with its audit record, and the officer
 * roster read at one version. `LaneStore` is assembled from these and the list and scan parts.
 */
export class PgLaneWork implements Pick<LaneStore, 'listRefusals' | 'enroll' | 'roster'> {
  constructor(private readonly pool: PgPool) {}

  /**
   * Records what a lane reported of the list data it refused; a report that differs from the
   * stored one is audited (`lane.list_refused`: the list, the last reason, how many since the
   * lane started). Returns whether it differed. The compare-and-store is one conditional UPDATE,
   * so of two servers storing one report for a lane at once only one audits it. A lane with no
   * row is audited too and answers true (as on SQLite, where the stored report reads as absent).
   */
  listRefusals(laneId: string, report: ListRefusalReport, now: number): Promise<boolean> {
    return withPgTransaction(this.pool, async (client) => {
      const r = (
        await client.query<{ changed: boolean; found: boolean }>(
          `WITH u AS (
             UPDATE kiosks SET list_refusals = $2::jsonb
             WHERE id = $1 AND list_refusals IS DISTINCT FROM $2::jsonb
             RETURNING 1)
           SELECT EXISTS (SELECT 1 FROM u) AS changed, EXISTS (SELECT 1 FROM kiosks WHERE id = $1) AS found`,
          [laneId, JSON.stringify(report)],
        )
      ).rows[0];
      if (r && r.found && !r.changed) return false;
      await insertAudit(client, {
        at: now,
        actor: `kiosk:${laneId}`,
        action: 'lane.list_refused',
        target: report.lastList ?? 'signing-keys',
        details: { reason: report.lastReason, count: report.count },
      });
      return true;
    });
  }

  /**
   * Spends an enrollment code, enrolls the lane and audits `kiosk.enroll`, in one transaction.
   * Null (nothing written) when the code is unknown, expired or already used; of several servers
   * racing with one code, one enrolls.
   */
  enroll(
    codeHash: string,
    lane: { id: string; name: string; tokenHash: string },
    now: number,
  ): Promise<{ checkpointId: string } | null> {
    return withPgTransaction(this.pool, async (client) => {
      const enrolled = await enrollKiosk(client, codeHash, lane, now);
      if (enrolled)
        await insertAudit(client, {
          at: now,
          actor: `kiosk:${lane.id}`,
          action: 'kiosk.enroll',
          target: enrolled.checkpointId,
          details: { name: lane.name },
        });
      return enrolled;
    });
  }

  /**
   * The roster version and the active officers valid at a checkpoint, by id (byte order), both
   * read in one REPEATABLE READ READ ONLY transaction: the officers are those of that version.
   */
  roster(checkpointId: string): Promise<OfficerRoster> {
    return withPgTransaction(
      this.pool,
      async (client) => {
        const version = (
          await client.query<{ version: number }>('SELECT version FROM officer_roster WHERE id = 1')
        ).rows[0]?.version;
        if (version === undefined) throw new Error('officer_roster has no row');
        // A NUL cannot be stored in text, so no checkpoint set holds such an id: only the
        // officers of every checkpoint match it (ARRAY[NULL] is contained in no array).
        const officers = (
          await client.query<{ id: string; name: string; role: OfficerRole; pin_hash: string }>(
            `SELECT id, name, role, pin_hash FROM officers
             WHERE disabled_at IS NULL AND (checkpoints IS NULL OR checkpoints @> ARRAY[$1::text])
             ORDER BY id COLLATE "C"`,
            [hasNul(checkpointId) ? null : checkpointId],
          )
        ).rows;
        return {
          version,
          officers: officers.map((o) => ({ id: o.id, name: o.name, role: o.role, pinHash: o.pin_hash })),
        };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  }
}

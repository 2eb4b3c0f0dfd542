import type { LaneRevocation } from '../../repositories/fleet-transactions.js';
import type { FleetStore, LaneHeard } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction } from '../pg-tx.js';
import { hasNul, insertEnrollmentCode } from './pg-kiosks.js';
import { rotateKey, scopeOfCheckpoint } from './pg-list-keys.js';

/**
 * The admin API's fleet changes on PostgreSQL, each with its audit records in one transaction
 * (see `FleetTransactions` for the SQLite twin): an enrollment code, and a lane's revocation.
 */
export class PgFleetStore implements FleetStore {
  constructor(private readonly pool: PgPool) {}

  /** Stores a one-time enrollment code's hash and audits `enrollment.create` by `actor`. */
  createEnrollmentCode(
    codeHash: string,
    checkpointId: string,
    now: number,
    expiresAt: number,
    actor: string,
  ): Promise<void> {
    return withPgTransaction(this.pool, async (client) => {
      await insertEnrollmentCode(client, codeHash, checkpointId, now, expiresAt);
      await insertAudit(client, {
        at: now,
        actor,
        action: 'enrollment.create',
        target: checkpointId,
        details: { expiresAt },
      });
    });
  }

  /**
   * Lanes not revoked heard (heartbeat) after `since`, with the time. `last_heartbeat_at` is not
   * indexed (heartbeats stay HOT updates): this reads the kiosks table through, ~20,000 narrow
   * rows for a national fleet, once per server per fleet sweep.
   */
  async heardSince(since: number): Promise<LaneHeard[]> {
    const r = await this.pool.query<{ id: string; at: string }>(
      'SELECT id, last_heartbeat_at AS at FROM kiosks WHERE last_heartbeat_at > $1 AND revoked_at IS NULL',
      [since],
    );
    return r.rows.map((x) => ({ id: x.id, at: Number(x.at) }));
  }

  /**
   * Revokes a lane's token and audits `kiosk.revoke` by `actor`; null (nothing written) when
   * there is no such lane. The first revocation also rotates the list key of the lane's key scope
   * (audited `lists.rotate-key`, reason `kiosk.revoke`), all in one transaction. The lane's row is
   * locked first, so of two servers revoking one lane at once only the first rotates; revoking
   * again keeps the first time, is audited again and rotates nothing.
   */
  async revokeLane(laneId: string, now: number, actor: string): Promise<LaneRevocation | null> {
    if (hasNul(laneId)) return null;
    return withPgTransaction(this.pool, async (client): Promise<LaneRevocation | null> => {
      const lane = (
        await client.query<{ checkpoint_id: string; revoked_at: number | null }>(
          'SELECT checkpoint_id, revoked_at FROM kiosks WHERE id = $1 FOR UPDATE',
          [laneId],
        )
      ).rows[0];
      if (!lane) return null;
      await client.query('UPDATE kiosks SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [
        laneId,
        now,
      ]);
      await insertAudit(client, { at: now, actor, action: 'kiosk.revoke', target: laneId });
      if (lane.revoked_at !== null) return { rotated: null };
      const scope = await scopeOfCheckpoint(client, lane.checkpoint_id);
      const rotated = await rotateKey(client, scope, now, 'kiosk.revoke');
      await insertAudit(client, {
        at: now,
        actor,
        action: 'lists.rotate-key',
        target: scope,
        details: { keyId: rotated.id, reason: 'kiosk.revoke', kioskId: laneId },
      });
      return { rotated };
    });
  }
}

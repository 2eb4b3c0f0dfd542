import type { GateReport, ListRefusalReport } from '@checkpoint-lane/shared';
import {
  GATE_FAULT_FLAP_MS,
  gateFaultDetails,
  gateRedDetails,
  heldFaults,
  newGateReds,
  type GateHeartbeatResult,
} from '../../repositories/gate-alerts.js';
import type { DeviceStatus, HeartbeatFacts, KioskRecord } from '../../repositories/kiosks-repository.js';
import type { KiosksStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { withPgTransaction, type Queryable } from '../pg-tx.js';

interface Row {
  id: string;
  name: string;
  checkpoint_id: string;
  enrolled_at: number;
  revoked_at: number | null;
  last_heartbeat_at: number | null;
  health_version: number | null;
  whitelist_version: number | null;
  backlog: number | null;
  devices: DeviceStatus[] | null;
  clock_skew_ms: number | null;
  acked_through: number;
  list_refusals: ListRefusalReport | null;
  gate: GateReport | null;
}

/**
 * Whether `s` holds a NUL character: PostgreSQL text cannot store one (a parameter with it is an
 * error), so no row can match it and a lookup answers "none" as SQLite does.
 */
export const hasNul = (s: string): boolean => s.includes('\0');

/** The columns a {@link KioskRecord} is read from (jsonb arrives parsed). */
const COLUMNS = `id, name, checkpoint_id, enrolled_at, revoked_at, last_heartbeat_at, health_version,
  whitelist_version, backlog, devices, clock_skew_ms, acked_through, list_refusals, gate`;

const toRecord = (r: Row): KioskRecord => ({
  id: r.id,
  name: r.name,
  checkpointId: r.checkpoint_id,
  enrolledAt: r.enrolled_at,
  revokedAt: r.revoked_at,
  lastHeartbeatAt: r.last_heartbeat_at,
  listVersions: { health: r.health_version, whitelist: r.whitelist_version },
  backlog: r.backlog,
  devices: r.devices ?? [],
  clockSkewMs: r.clock_skew_ms,
  ackedThrough: r.acked_through,
  ...(r.list_refusals !== null && { listRefusals: r.list_refusals }),
  ...(r.gate !== null && { gate: r.gate }),
});

/**
 * Spends an enrollment code and inserts the kiosk in one statement on `q` (atomic on its own,
 * or part of the caller's transaction). The code is taken by a conditional UPDATE, so of several
 * servers racing for one code exactly one gets its row back; null when the code is unknown,
 * expired or already used. When the kiosk cannot be inserted the statement fails whole and the
 * code stays unspent.
 */
export async function enrollKiosk(
  q: Queryable,
  codeHash: string,
  kiosk: { id: string; name: string; tokenHash: string },
  now: number,
): Promise<{ checkpointId: string } | null> {
  if (hasNul(codeHash)) return null;
  const r = await q.query<{ checkpoint_id: string }>(
    `WITH spent AS (
       UPDATE enrollment_codes SET used_at = $2, kiosk_id = $3
       WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
       RETURNING checkpoint_id)
     INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at)
     SELECT $3, $4, checkpoint_id, $5, $2 FROM spent
     RETURNING checkpoint_id`,
    [codeHash, now, kiosk.id, kiosk.name, kiosk.tokenHash],
  );
  const row = r.rows[0];
  return row ? { checkpointId: row.checkpoint_id } : null;
}

/** Stores a one-time enrollment code's hash on `q`. */
export async function insertEnrollmentCode(
  q: Queryable,
  codeHash: string,
  checkpointId: string,
  now: number,
  expiresAt: number,
): Promise<void> {
  await q.query(
    'INSERT INTO enrollment_codes (code_hash, checkpoint_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
    [codeHash, checkpointId, now, expiresAt],
  );
}

/** Enrollment codes and enrolled kiosks on PostgreSQL (tokens are stored as hashes only). */
export class PgKiosksStore implements KiosksStore {
  constructor(private readonly pool: PgPool) {}

  /** Stores a one-time enrollment code's hash. */
  async addEnrollmentCode(
    codeHash: string,
    checkpointId: string,
    now: number,
    expiresAt: number,
  ): Promise<void> {
    await insertEnrollmentCode(this.pool, codeHash, checkpointId, now, expiresAt);
  }

  /** Spends a code and enrolls a kiosk in one statement; null if the code is unknown, expired or used. */
  enroll(
    codeHash: string,
    kiosk: { id: string; name: string; tokenHash: string },
    now: number,
  ): Promise<{ checkpointId: string } | null> {
    return enrollKiosk(this.pool, codeHash, kiosk, now);
  }

  /** The kiosk a token hash belongs to (revoked ones too): one read by the unique token index. */
  async findByTokenHash(
    tokenHash: string,
  ): Promise<{ id: string; checkpointId: string; tokenHash: string; revoked: boolean } | null> {
    if (hasNul(tokenHash)) return null;
    const r = (
      await this.pool.query<{ id: string; checkpoint_id: string; token_hash: string; revoked: boolean }>(
        'SELECT id, checkpoint_id, token_hash, revoked_at IS NOT NULL AS revoked FROM kiosks WHERE token_hash = $1',
        [tokenHash],
      )
    ).rows[0];
    return r
      ? { id: r.id, checkpointId: r.checkpoint_id, tokenHash: r.token_hash, revoked: r.revoked }
      : null;
  }

  /** One kiosk, or null. */
  async get(id: string): Promise<KioskRecord | null> {
    if (hasNul(id)) return null;
    const r = (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM kiosks WHERE id = $1`, [id])).rows[0];
    return r ? toRecord(r) : null;
  }

  /** Every kiosk, by checkpoint and name (byte order, as SQLite sorts). */
  async list(): Promise<KioskRecord[]> {
    const rows = (
      await this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM kiosks ORDER BY checkpoint_id COLLATE "C", name COLLATE "C", id COLLATE "C"`,
      )
    ).rows;
    return rows.map(toRecord);
  }

  /** Revokes a kiosk's token (the first time is kept); false if there is no such kiosk. */
  async revoke(id: string, now: number): Promise<boolean> {
    if (hasNul(id)) return false;
    const r = await this.pool.query('UPDATE kiosks SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [
      id,
      now,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Records a heartbeat (no indexed column changes: a HOT update) and, in the same transaction,
   * the lane's gate alerts (see gate-alerts.ts; the lane's row is locked first, so two heartbeats
   * of one lane on two servers take turns): answers the gate alerts raised, cleared and reopened.
   */
  async heartbeat(id: string, hb: HeartbeatFacts, now: number): Promise<GateHeartbeatResult> {
    if (hasNul(id)) return { raised: [], cleared: [], reopened: [], hadGate: false };
    const update = (q: Queryable) =>
      q.query(
        `UPDATE kiosks SET last_heartbeat_at = $2, health_version = $3, whitelist_version = $4, backlog = $5,
           devices = $6::jsonb, clock_skew_ms = $7, gate = $8::jsonb WHERE id = $1`,
        [
          id,
          now,
          hb.health,
          hb.whitelist,
          hb.backlog,
          JSON.stringify(hb.devices),
          hb.clockSkewMs,
          hb.gate === undefined ? null : JSON.stringify(hb.gate),
        ],
      );
    // Without a gate report (most lanes): one statement. Open fault alerts exist only while the
    // stored report holds their fault, so only a lane that had a report has alerts to clear.
    if (hb.gate === undefined) {
      const r = await this.pool.query<{ had: boolean }>(
        `UPDATE kiosks k SET last_heartbeat_at = $2, health_version = $3, whitelist_version = $4, backlog = $5,
           devices = $6::jsonb, clock_skew_ms = $7, gate = NULL
         FROM (SELECT gate FROM kiosks WHERE id = $1) old
         WHERE k.id = $1 RETURNING old.gate IS NOT NULL AS had`,
        [id, now, hb.health, hb.whitelist, hb.backlog, JSON.stringify(hb.devices), hb.clockSkewMs],
      );
      if (r.rows[0]?.had !== true) return { raised: [], cleared: [], reopened: [], hadGate: false };
      const cleared = await this.pool.query<{ id: string }>(
        `UPDATE alerts SET cleared_at = $1 WHERE kind = 'gate_fault' AND kiosk_id = $2 AND cleared_at IS NULL
         RETURNING id`,
        [now, id],
      );
      return { raised: [], cleared: cleared.rows.map((x) => Number(x.id)), reopened: [], hadGate: true };
    }
    return withPgTransaction(this.pool, async (c) => {
      const lane = (
        await c.query<{ name: string; checkpoint_id: string; gate: GateReport | null }>(
          'SELECT name, checkpoint_id, gate FROM kiosks WHERE id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0];
      await update(c);
      if (!lane) return { raised: [], cleared: [], reopened: [], hadGate: false };
      const report = hb.gate ?? null;
      const place = { kioskId: id, kioskName: lane.name, checkpointId: lane.checkpoint_id };
      const faults = heldFaults(report);
      const cleared = (
        await c.query<{ id: string }>(
          `UPDATE alerts SET cleared_at = $1 WHERE kind = 'gate_fault' AND kiosk_id = $2 AND cleared_at IS NULL
             AND NOT (fault = ANY($3::text[])) RETURNING id`,
          [now, id, faults],
        )
      ).rows.map((r) => Number(r.id));
      const raised: number[] = [];
      const reopened: number[] = [];
      if (report !== null) {
        for (const fault of faults) {
          // The lane's last alert of the fault, when it cleared within the flap window: reopened
          // (an open one, or one cleared earlier, is left alone). SET reads the row as it was.
          const back = await c.query<{ id: string }>(
            `UPDATE alerts SET cleared_at = NULL,
               details = jsonb_set(details, '{flaps}', to_jsonb(coalesce((details->>'flaps')::int, 0) + 1)),
               acked_at = CASE WHEN acked_at < $4 THEN NULL ELSE acked_at END,
               acked_by = CASE WHEN acked_at < $4 THEN NULL ELSE acked_by END
             WHERE id = (SELECT id FROM alerts WHERE kind = 'gate_fault' AND kiosk_id = $1 AND fault = $2
                         ORDER BY id DESC LIMIT 1)
               AND cleared_at IS NOT NULL AND cleared_at >= $3
             RETURNING id`,
            [id, fault, now - GATE_FAULT_FLAP_MS, now - GATE_FAULT_FLAP_MS],
          );
          if (back.rows[0]) {
            reopened.push(Number(back.rows[0].id));
            continue;
          }
          const r = await c.query<{ id: string }>(
            `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by, details, fault)
             VALUES ('gate_fault', $1, $1, $2, $3, NULL, 'server', $4::jsonb, $5)
             ON CONFLICT (kiosk_id, fault) WHERE kind = 'gate_fault' AND cleared_at IS NULL DO NOTHING
             RETURNING id`,
            [now, id, lane.checkpoint_id, JSON.stringify(gateFaultDetails(place, report, fault)), fault],
          );
          if (r.rows[0]) raised.push(Number(r.rows[0].id));
        }
        const reds = newGateReds(lane.gate, report);
        if (reds > 0) {
          const r = await c.query<{ id: string }>(
            `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by, details)
             VALUES ('gate_red', $1, $1, $2, $3, NULL, 'server', $4::jsonb) RETURNING id`,
            [now, id, lane.checkpoint_id, JSON.stringify(gateRedDetails(place, report, reds))],
          );
          if (r.rows[0]) raised.push(Number(r.rows[0].id));
        }
      }
      return { raised, cleared, reopened, hadGate: lane.gate !== null };
    });
  }

  /** The ids of the unrevoked lanes at any of the checkpoints. */
  async unrevokedAt(checkpointIds: readonly string[]): Promise<string[]> {
    const ids = checkpointIds.filter((id) => !hasNul(id));
    if (ids.length === 0) return [];
    const rows = (
      await this.pool.query<{ id: string }>(
        'SELECT id FROM kiosks WHERE revoked_at IS NULL AND checkpoint_id = ANY($1::text[])',
        [ids],
      )
    ).rows;
    return rows.map((r) => r.id);
  }
}

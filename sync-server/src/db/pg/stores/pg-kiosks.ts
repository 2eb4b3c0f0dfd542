import type { ListRefusalReport } from '@checkpoint-lane/shared';
import type { DeviceStatus, KioskRecord } from '../../repositories/kiosks-repository.js';
import type { KiosksStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import type { Queryable } from '../pg-tx.js';

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
}

/**
 * Whether `s` holds a NUL character: PostgreSQL text cannot store one (a parameter with it is an
 * error), so no row can match it and a lookup answers "none" as SQLite does.
 */
export const hasNul = (s: string): boolean => s.includes('\0');

/** The columns a {@link KioskRecord} is read from (jsonb arrives parsed). */
const COLUMNS = `id, name, checkpoint_id, enrolled_at, revoked_at, last_heartbeat_at, health_version,
  whitelist_version, backlog, devices, clock_skew_ms, acked_through, list_refusals`;

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

  /** Records a heartbeat (no indexed column changes: a HOT update). */
  async heartbeat(
    id: string,
    hb: {
      health: number;
      whitelist: number;
      backlog: number;
      devices: readonly DeviceStatus[];
      clockSkewMs: number;
    },
    now: number,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE kiosks SET last_heartbeat_at = $2, health_version = $3, whitelist_version = $4, backlog = $5,
         devices = $6::jsonb, clock_skew_ms = $7 WHERE id = $1`,
      [id, now, hb.health, hb.whitelist, hb.backlog, JSON.stringify(hb.devices), hb.clockSkewMs],
    );
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

import { fail, ok, type OfficerRole, type Result } from '@checkpoint-lane/shared';
import type { OfficerChange, OfficerInput, OfficerRecord } from '../../repositories/officers-repository.js';
import type { OfficersStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';

interface Row {
  id: string;
  name: string;
  role: OfficerRole;
  pin_hash: string;
  checkpoints: string[] | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, name, role, pin_hash, checkpoints, disabled_at, created_at, updated_at';

const toRecord = (r: Row): OfficerRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  pinHash: r.pin_hash,
  checkpoints: r.checkpoints,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * A checkpoint set as stored: each id once, sorted as SQLite's `encodeCheckpoints` sorts them
 * (null stays null: every checkpoint). The schema refuses an empty set, so it is refused here
 * with a clear error (SQLite would store it as serving no checkpoint; the API never sends one).
 */
function checkpointSet(ids: readonly string[] | null): string[] | null {
  if (ids === null) return null;
  if (ids.length === 0) throw new Error('an officer serves every checkpoint (null) or at least one');
  return [...new Set(ids)].sort();
}

async function readVersion(q: Queryable): Promise<number> {
  const r = await q.query<{ version: number }>('SELECT version FROM officer_roster WHERE id = 1');
  const v = r.rows[0]?.version;
  if (v === undefined) throw new Error('officer_roster has no row');
  return v;
}

/** Advances the roster version; its row lock makes versions gap-free and ordered across servers. */
async function nextVersion(q: Queryable): Promise<number> {
  const r = await q.query<{ version: number }>(
    'UPDATE officer_roster SET version = version + 1 WHERE id = 1 RETURNING version',
  );
  const v = r.rows[0]?.version;
  if (v === undefined) throw new Error('officer_roster has no row');
  return v;
}

/** Creates or updates an officer; the stored row and whether it was created. */
async function upsertOfficer(
  q: Queryable,
  o: OfficerInput,
  now: number,
): Promise<{ row: Row; created: boolean }> {
  const checkpoints = checkpointSet(o.checkpoints);
  if (o.pinHash === undefined) {
    const r = await q.query<Row>(
      `UPDATE officers SET name = $2, role = $3, checkpoints = $4::text[], updated_at = $5 WHERE id = $1
       RETURNING ${COLUMNS}`,
      [o.id, o.name, o.role, checkpoints, now],
    );
    if (r.rows[0] === undefined) throw new Error('a new officer needs a PIN hash');
    return { row: r.rows[0], created: false };
  }
  const r = await q.query<Row & { created: boolean }>(
    `INSERT INTO officers (id, name, role, pin_hash, checkpoints, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::text[], $6, $6)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
       checkpoints = excluded.checkpoints, updated_at = excluded.updated_at
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [o.id, o.name, o.role, o.pinHash, checkpoints, now],
  );
  const row = r.rows[0];
  if (row === undefined) throw new Error('officer upsert returned no row');
  return { row, created: row.created };
}

async function disable(q: Queryable, id: string, disabled: boolean, now: number): Promise<Row | null> {
  const r = await q.query<Row>(
    disabled
      ? `UPDATE officers SET disabled_at = $2, updated_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING ${COLUMNS}`
      : `UPDATE officers SET disabled_at = NULL, updated_at = $2 WHERE id = $1 AND disabled_at IS NOT NULL RETURNING ${COLUMNS}`,
    [id, now],
  );
  return r.rows[0] ?? null;
}

/**
 * Central officer rosters in PostgreSQL (checkpoint sets as text[]). Every write advances the
 * roster version; `save` and `changeDisabled` do so in the transaction of the change, with its
 * audit record.
 */
export class PgOfficersStore implements OfficersStore {
  constructor(private readonly pool: PgPool) {}

  /** The roster version (0: no officer was ever written). */
  version(): Promise<number> {
    return readVersion(this.pool);
  }

  /** Advances the roster version; answers the new one. */
  bumpVersion(): Promise<number> {
    return nextVersion(this.pool);
  }

  /** Every officer, by id (byte order, as SQLite sorts). */
  async list(): Promise<OfficerRecord[]> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM officers ORDER BY id COLLATE "C"`);
    return r.rows.map(toRecord);
  }

  /** One officer, or null. */
  async get(id: string): Promise<OfficerRecord | null> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM officers WHERE id = $1`, [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  }

  /** Active officers valid at a checkpoint (what that checkpoint's lanes get). */
  async activeAt(checkpointId: string): Promise<OfficerRecord[]> {
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM officers WHERE disabled_at IS NULL
         AND (checkpoints IS NULL OR checkpoints @> ARRAY[$1::text]) ORDER BY id COLLATE "C"`,
      [checkpointId],
    );
    return r.rows.map(toRecord);
  }

  /** Active officers other than `exceptId` who serve at least one of these checkpoints (null: every one). */
  async activeSharing(exceptId: string, checkpoints: readonly string[] | null): Promise<OfficerRecord[]> {
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM officers WHERE disabled_at IS NULL AND id <> $1
         AND (checkpoints IS NULL OR $2::text[] IS NULL OR checkpoints && $2::text[]) ORDER BY id COLLATE "C"`,
      [exceptId, checkpoints === null ? null : [...checkpoints]],
    );
    return r.rows.map(toRecord);
  }

  /** Creates or updates an officer (keeping the PIN hash when none is given); true if created. */
  async upsert(o: OfficerInput, now: number): Promise<boolean> {
    return (await upsertOfficer(this.pool, o, now)).created;
  }

  /** Disables or enables an officer; true if that changed anything. */
  async setDisabled(id: string, disabled: boolean, now: number): Promise<boolean> {
    return (await disable(this.pool, id, disabled, now)) !== null;
  }

  /**
   * An admin's create or update, audited (`officer.create|update`; the PIN only as `pinChanged`),
   * with the roster version advanced, in one transaction.
   */
  save(o: OfficerInput, now: number, actor: string): Promise<OfficerChange & { readonly created: boolean }> {
    return withPgTransaction(this.pool, async (client) => {
      const { row, created } = await upsertOfficer(client, o, now);
      const version = await nextVersion(client);
      await insertAudit(client, {
        at: now,
        actor,
        action: created ? 'officer.create' : 'officer.update',
        target: o.id,
        details: {
          name: o.name,
          role: o.role,
          checkpoints: o.checkpoints,
          pinChanged: o.pinHash !== undefined,
          version,
        },
      });
      return { officer: toRecord(row), version, created };
    });
  }

  /**
   * Disables or enables an officer, audited (`officer.disable|enable`) with the roster version
   * advanced; doing it twice changes nothing (`changed` false: no audit, the version stays).
   */
  changeDisabled(
    id: string,
    disabled: boolean,
    now: number,
    actor: string,
  ): Promise<Result<OfficerChange & { readonly changed: boolean }, 'unknown_officer'>> {
    return withPgTransaction(
      this.pool,
      async (client): Promise<Result<OfficerChange & { readonly changed: boolean }, 'unknown_officer'>> => {
        const current = await client.query<Row>(`SELECT ${COLUMNS} FROM officers WHERE id = $1 FOR UPDATE`, [
          id,
        ]);
        const before = current.rows[0];
        if (before === undefined) return fail('unknown_officer');
        const after = await disable(client, id, disabled, now);
        if (after === null)
          return ok({ officer: toRecord(before), version: await readVersion(client), changed: false });
        const version = await nextVersion(client);
        await insertAudit(client, {
          at: now,
          actor,
          action: disabled ? 'officer.disable' : 'officer.enable',
          target: id,
          details: { version },
        });
        return ok({ officer: toRecord(after), version, changed: true });
      },
    );
  }
}

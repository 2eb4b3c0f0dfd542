import type pg from 'pg';
import {
  pickPassKeyId,
  type DeclarationRecord,
  type NewPassKey,
  type PassesStore,
  type PassKeyRetirement,
  type PassKeyRotation,
  type PassKeyWithdrawal,
  type PassRevocation,
  type StoredPassDirectory,
  type StoredPassKey,
} from '../../../passes/passes-store.js';
import { keyOf, type KeyRow } from '../../repositories/passes-repository.js';
import type { AuditEntry } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';

async function readKeys(q: Queryable): Promise<StoredPassKey[]> {
  return (await q.query<KeyRow>('SELECT * FROM pass_keys ORDER BY key_id')).rows.map(keyOf);
}

/** Locks the directory's state row: rotations and revocations on any server take turns. */
async function lockState(c: pg.PoolClient): Promise<number> {
  const r = await c.query<{ version: number }>('SELECT version FROM pass_state WHERE id = 1 FOR UPDATE');
  const v = r.rows[0]?.version;
  if (v === undefined) throw new Error('pass_state has no row (migration 009 not run?)');
  return v;
}

async function bump(c: pg.PoolClient): Promise<number> {
  const r = await c.query<{ version: number }>(
    'UPDATE pass_state SET version = version + 1 WHERE id = 1 RETURNING version',
  );
  const v = r.rows[0]?.version;
  if (v === undefined) throw new Error('pass_state has no row');
  return v;
}

async function insertKey(q: Queryable, keyId: number, k: NewPassKey, now: number): Promise<void> {
  await q.query(
    `INSERT INTO pass_keys (key_id, public_key, private_key, valid_from, valid_until, withdrawn_at, created_at)
     VALUES ($1, $2, $3, $4, NULL, NULL, $5)`,
    [keyId, k.publicKey, k.privateKey, k.validFrom, now],
  );
}

/** A rotation's writes; the caller holds the transaction and the `pass_state` lock. */
async function rotateIn(
  c: pg.PoolClient,
  now: number,
  make: () => NewPassKey,
  retire: PassKeyRetirement,
): Promise<PassKeyRotation> {
  const keys = await readKeys(c);
  const current = keys.find((k) => k.validUntil === null) ?? null;
  // The current key's own id is never given again by this rotation.
  const pick = pickPassKeyId(
    keys.map((k) => (k === current ? { ...k, validUntil: Number.MAX_SAFE_INTEGER, withdrawnAt: null } : k)),
    retire.reuseBefore,
  );
  if (pick === null) return { kind: 'no_key_id' };
  if (current !== null) {
    await c.query('UPDATE pass_keys SET valid_until = $2, withdrawn_at = $3 WHERE key_id = $1', [
      current.keyId,
      Math.max(current.validFrom, retire.validUntil),
      retire.withdraw ? now : null,
    ]);
  }
  if (pick.replaces) await c.query('DELETE FROM pass_keys WHERE key_id = $1', [pick.keyId]);
  await insertKey(c, pick.keyId, make(), now);
  const version = await bump(c);
  const key = (await readKeys(c)).find((k) => k.keyId === pick.keyId);
  if (key === undefined) throw new Error('pass key vanished while it was stored');
  return { kind: 'rotated', key, previous: current?.keyId ?? null, version };
}

/** Lane passes on PostgreSQL (migration 009): each method one transaction; changes lock `pass_state`. */
export class PgPassesStore implements PassesStore {
  constructor(private readonly pool: PgPool) {}

  keys(): Promise<StoredPassKey[]> {
    return readKeys(this.pool);
  }

  ensureKey(make: () => NewPassKey, now: number): Promise<StoredPassKey[]> {
    return withPgTransaction(this.pool, async (c) => {
      await lockState(c);
      const keys = await readKeys(c);
      if (keys.length > 0) return keys;
      await insertKey(c, 1, make(), now);
      return readKeys(c);
    });
  }

  rotateKey(
    now: number,
    make: () => NewPassKey,
    retire: PassKeyRetirement,
    audit?: (r: Extract<PassKeyRotation, { kind: 'rotated' }>) => AuditEntry,
  ): Promise<PassKeyRotation> {
    return withPgTransaction(this.pool, async (c): Promise<PassKeyRotation> => {
      await lockState(c);
      const done = await rotateIn(c, now, make, retire);
      if (done.kind === 'rotated' && audit) await insertAudit(c, audit(done));
      return done;
    });
  }

  withdrawKey(
    keyId: number,
    now: number,
    make: () => NewPassKey,
    reuseBefore: number,
    actor: string,
  ): Promise<PassKeyWithdrawal> {
    return withPgTransaction(this.pool, async (c): Promise<PassKeyWithdrawal> => {
      const before = await lockState(c);
      const target = (await readKeys(c)).find((k) => k.keyId === keyId);
      if (target === undefined) return { kind: 'not_found' };
      let done: PassKeyWithdrawal;
      if (target.withdrawnAt !== null) {
        done = {
          kind: 'withdrawn',
          keyId,
          withdrawnAt: target.withdrawnAt,
          already: true,
          replacedBy: null,
          version: before,
        };
      } else if (target.validUntil === null) {
        const r = await rotateIn(c, now, make, { validUntil: now, withdraw: true, reuseBefore });
        if (r.kind === 'no_key_id') return r;
        done = {
          kind: 'withdrawn',
          keyId,
          withdrawnAt: now,
          already: false,
          replacedBy: r.key.keyId,
          version: r.version,
        };
      } else {
        await c.query('UPDATE pass_keys SET withdrawn_at = $2 WHERE key_id = $1', [keyId, now]);
        done = {
          kind: 'withdrawn',
          keyId,
          withdrawnAt: now,
          already: false,
          replacedBy: null,
          version: await bump(c),
        };
      }
      await insertAudit(c, {
        at: now,
        actor,
        action: 'pass.key_withdraw',
        target: String(keyId),
        details: { already: done.already, replacedBy: done.replacedBy, version: done.version },
      });
      return done;
    });
  }

  async addDeclaration(d: DeclarationRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id, full_name, phone,
         from_province, from_district, from_ward, to_province, to_district, to_ward, plate, purpose, travel_date,
         valid_from, valid_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        d.id,
        d.passId,
        d.passKeyId,
        d.createdAt,
        String(d.subjectKey),
        d.personalId,
        d.fullName,
        d.phone,
        d.from.province,
        d.from.district,
        d.from.ward,
        d.to.province,
        d.to.district,
        d.to.ward,
        d.plate,
        d.purpose,
        d.travelDate,
        d.validFrom,
        d.validUntil,
      ],
    );
  }

  revoke(passId: string, now: number, actor: string): Promise<PassRevocation> {
    return withPgTransaction(this.pool, async (c): Promise<PassRevocation> => {
      const before = await lockState(c);
      const row = (
        await c.query<{ revoked_at: number | null; valid_until: number }>(
          'SELECT revoked_at, valid_until FROM declarations WHERE pass_id = $1',
          [passId],
        )
      ).rows[0];
      if (row === undefined) return { kind: 'not_found' };
      const already = row.revoked_at !== null;
      let version = before;
      if (!already) {
        await c.query('UPDATE declarations SET revoked_at = $2, revoked_by = $3 WHERE pass_id = $1', [
          passId,
          now,
          actor,
        ]);
        version = await bump(c);
      }
      await insertAudit(c, {
        at: now,
        actor,
        action: 'pass.revoke',
        target: passId,
        details: { already, version },
      });
      return {
        kind: 'revoked',
        passId,
        revokedAt: row.revoked_at ?? now,
        until: row.valid_until,
        already,
        version,
      };
    });
  }

  directory(now: number): Promise<StoredPassDirectory> {
    return withPgTransaction(
      this.pool,
      async (c): Promise<StoredPassDirectory> => {
        const v = await c.query<{ version: number }>('SELECT version FROM pass_state WHERE id = 1');
        const keys = await readKeys(c);
        const revoked = await c.query<{ passId: string; until: number }>(
          `SELECT pass_id AS "passId", valid_until AS until FROM declarations
           WHERE revoked_at IS NOT NULL AND valid_until >= $1 ORDER BY pass_id`,
          [now],
        );
        return {
          version: v.rows[0]?.version ?? 0,
          keys: keys.filter((k) => k.withdrawnAt === null),
          revoked: revoked.rows,
        };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  }

  async version(): Promise<number> {
    const r = await this.pool.query<{ version: number }>('SELECT version FROM pass_state WHERE id = 1');
    return r.rows[0]?.version ?? 0;
  }
}

import type { Statement } from 'better-sqlite3';
import type { Db } from '../open-database.js';
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
} from '../../passes/passes-store.js';
import type { AuditEntry } from '../store/store.js';
import { AuditRepository } from './audit-repository.js';

/** A `pass_keys` row as both engines read it (`SELECT *`). */
export interface KeyRow {
  key_id: number;
  public_key: string;
  private_key: string;
  valid_from: number;
  valid_until: number | null;
  withdrawn_at: number | null;
  created_at: number;
}

/** A `pass_keys` row as the store's key (the PostgreSQL store reads with it too). */
export const keyOf = (r: KeyRow): StoredPassKey => ({
  keyId: r.key_id,
  publicKey: r.public_key,
  privateKey: r.private_key,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  withdrawnAt: r.withdrawn_at,
  createdAt: r.created_at,
});

/** Lane passes on SQLite (migration 010): each method one better-sqlite3 transaction. */
export class PassesRepository implements PassesStore {
  private readonly audit: AuditRepository;
  private insertDeclaration: Statement | undefined;

  constructor(private readonly db: Db) {
    this.audit = new AuditRepository(db);
  }

  private readKeys(): StoredPassKey[] {
    return (this.db.prepare('SELECT * FROM pass_keys ORDER BY key_id').all() as KeyRow[]).map(keyOf);
  }

  private readVersion(): number {
    return this.db.prepare('SELECT version FROM pass_state WHERE id = 1').pluck().get() as number;
  }

  private bump(): number {
    return this.db
      .prepare('UPDATE pass_state SET version = version + 1 WHERE id = 1 RETURNING version')
      .pluck()
      .get() as number;
  }

  private insertKey(keyId: number, k: NewPassKey, now: number): void {
    this.db
      .prepare(
        `INSERT INTO pass_keys (key_id, public_key, private_key, valid_from, valid_until, withdrawn_at, created_at)
         VALUES (?, ?, ?, ?, NULL, NULL, ?)`,
      )
      .run(keyId, k.publicKey, k.privateKey, k.validFrom, now);
  }

  keys(): Promise<StoredPassKey[]> {
    return Promise.resolve(this.readKeys());
  }

  async ensureKey(make: () => NewPassKey, now: number): Promise<StoredPassKey[]> {
    await Promise.resolve();
    return this.db.transaction(() => {
      const keys = this.readKeys();
      if (keys.length > 0) return keys;
      this.insertKey(1, make(), now);
      return this.readKeys();
    })();
  }

  async rotateKey(
    now: number,
    make: () => NewPassKey,
    retire: PassKeyRetirement,
    audit?: (r: Extract<PassKeyRotation, { kind: 'rotated' }>) => AuditEntry,
  ): Promise<PassKeyRotation> {
    await Promise.resolve();
    return this.db.transaction((): PassKeyRotation => {
      const done = this.rotateNow(now, make, retire);
      if (done.kind === 'rotated' && audit) {
        const e = audit(done);
        this.audit.record(e.at, e.actor, e.action, e.target, e.details ?? null);
      }
      return done;
    })();
  }

  /** A rotation's writes; the caller holds the transaction. */
  private rotateNow(now: number, make: () => NewPassKey, retire: PassKeyRetirement): PassKeyRotation {
    const keys = this.readKeys();
    const current = keys.find((k) => k.validUntil === null) ?? null;
    // The current key's own id is never given again by this rotation.
    const pick = pickPassKeyId(
      keys.map((k) => (k === current ? { ...k, validUntil: Number.MAX_SAFE_INTEGER, withdrawnAt: null } : k)),
      retire.reuseBefore,
    );
    if (pick === null) return { kind: 'no_key_id' };
    if (current !== null) {
      this.db
        .prepare('UPDATE pass_keys SET valid_until = ?, withdrawn_at = ? WHERE key_id = ?')
        .run(Math.max(current.validFrom, retire.validUntil), retire.withdraw ? now : null, current.keyId);
    }
    if (pick.replaces) this.db.prepare('DELETE FROM pass_keys WHERE key_id = ?').run(pick.keyId);
    this.insertKey(pick.keyId, make(), now);
    const version = this.bump();
    const key = this.readKeys().find((k) => k.keyId === pick.keyId);
    if (key === undefined) throw new Error('pass key vanished while it was stored');
    return { kind: 'rotated' as const, key, previous: current?.keyId ?? null, version };
  }

  async withdrawKey(
    keyId: number,
    now: number,
    make: () => NewPassKey,
    reuseBefore: number,
    actor: string,
  ): Promise<PassKeyWithdrawal> {
    await Promise.resolve();
    return this.db.transaction((): PassKeyWithdrawal => {
      const target = this.readKeys().find((k) => k.keyId === keyId);
      if (target === undefined) return { kind: 'not_found' };
      let done: PassKeyWithdrawal;
      if (target.withdrawnAt !== null) {
        done = {
          kind: 'withdrawn',
          keyId,
          withdrawnAt: target.withdrawnAt,
          already: true,
          replacedBy: null,
          version: this.readVersion(),
        };
      } else if (target.validUntil === null) {
        const r = this.rotateNow(now, make, { validUntil: now, withdraw: true, reuseBefore });
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
        this.db.prepare('UPDATE pass_keys SET withdrawn_at = ? WHERE key_id = ?').run(now, keyId);
        done = {
          kind: 'withdrawn',
          keyId,
          withdrawnAt: now,
          already: false,
          replacedBy: null,
          version: this.bump(),
        };
      }
      this.audit.record(now, actor, 'pass.key_withdraw', String(keyId), {
        already: done.already,
        replacedBy: done.replacedBy,
        version: done.version,
      });
      return done;
    })();
  }

  async addDeclaration(d: DeclarationRecord): Promise<void> {
    await Promise.resolve();
    // Prepared once: declarations come many a second.
    this.insertDeclaration ??= this.db.prepare(
      `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id, full_name, phone,
         from_province, from_district, from_ward, to_province, to_district, to_ward, plate, purpose, travel_date,
         valid_from, valid_until)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertDeclaration.run(
      d.id,
      d.passId,
      d.passKeyId,
      d.createdAt,
      d.subjectKey,
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
    );
  }

  async revoke(passId: string, now: number, actor: string): Promise<PassRevocation> {
    await Promise.resolve();
    return this.db.transaction((): PassRevocation => {
      const row = this.db
        .prepare('SELECT revoked_at, valid_until FROM declarations WHERE pass_id = ?')
        .get(passId) as { revoked_at: number | null; valid_until: number } | undefined;
      if (row === undefined) return { kind: 'not_found' };
      const already = row.revoked_at !== null;
      if (!already)
        this.db
          .prepare('UPDATE declarations SET revoked_at = ?, revoked_by = ? WHERE pass_id = ?')
          .run(now, actor, passId);
      const version = already ? this.readVersion() : this.bump();
      this.audit.record(now, actor, 'pass.revoke', passId, { already, version });
      return {
        kind: 'revoked',
        passId,
        revokedAt: row.revoked_at ?? now,
        until: row.valid_until,
        already,
        version,
      };
    })();
  }

  async directory(now: number): Promise<StoredPassDirectory> {
    await Promise.resolve();
    return this.db.transaction((): StoredPassDirectory => ({
      version: this.readVersion(),
      keys: this.readKeys().filter((k) => k.withdrawnAt === null),
      revoked: this.db
        .prepare(
          `SELECT pass_id AS passId, valid_until AS until FROM declarations
             WHERE revoked_at IS NOT NULL AND valid_until >= ? ORDER BY pass_id`,
        )
        .all(now) as { passId: string; until: number }[],
    }))();
  }

  version(): Promise<number> {
    return Promise.resolve(this.readVersion());
  }
}

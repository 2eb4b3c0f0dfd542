import { fail, ok, type OfficerRole, type Result } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import { AuditRepository } from './audit-repository.js';

/** An officer as stored (the PIN hash never leaves the server except to lanes). */
export interface OfficerRecord {
  readonly id: string;
  readonly name: string;
  readonly role: OfficerRole;
  readonly pinHash: string;
  /** The checkpoints the officer serves; null: every checkpoint. */
  readonly checkpoints: readonly string[] | null;
  readonly disabledAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What an admin writes for an officer (no PIN hash: keep the stored one). */
export interface OfficerInput {
  readonly id: string;
  readonly name: string;
  readonly role: OfficerRole;
  readonly checkpoints: readonly string[] | null;
  readonly pinHash?: string;
}

/** An officer after an audited change, and the roster version after it. */
export interface OfficerChange {
  readonly officer: OfficerRecord;
  readonly version: number;
}

interface Row {
  id: string;
  name: string;
  role: OfficerRole;
  pin_hash: string;
  checkpoints: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: Row): OfficerRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  pinHash: r.pin_hash,
  checkpoints: decodeCheckpoints(r.checkpoints),
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** `['A','B']` → `';A;B;'` (null stays null: every checkpoint). */
export function encodeCheckpoints(ids: readonly string[] | null): string | null {
  return ids === null ? null : `;${[...new Set(ids)].sort().join(';')};`;
}

/** `';A;B;'` → `['A','B']`. */
export function decodeCheckpoints(text: string | null): string[] | null {
  return text === null ? null : text.split(';').filter((s) => s !== '');
}

/** Whether two checkpoint sets (null: every checkpoint) have a checkpoint in common. */
export function checkpointsOverlap(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return true;
  return a.some((id) => b.includes(id));
}

/**
 * Central officer rosters. Every write advances the roster version: `save` and `changeDisabled`
 * do so in the transaction of the change, with its audit record.
 */
export class OfficersRepository {
  constructor(
    private readonly db: Db,
    private readonly audit = new AuditRepository(db),
  ) {}

  /** The roster version (0: no officer was ever written). */
  version(): number {
    return this.db.prepare('SELECT version FROM officer_roster WHERE id = 1').pluck().get() as number;
  }

  /** Advances the roster version; answers the new one. */
  bumpVersion(): number {
    return this.db
      .prepare('UPDATE officer_roster SET version = version + 1 WHERE id = 1 RETURNING version')
      .pluck()
      .get() as number;
  }

  /** Every officer, by id. */
  list(): OfficerRecord[] {
    return (this.db.prepare('SELECT * FROM officers ORDER BY id').all() as Row[]).map(toRecord);
  }

  /** One officer, or null. */
  get(id: string): OfficerRecord | null {
    const r = this.db.prepare('SELECT * FROM officers WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  /** Active officers valid at a checkpoint (what that checkpoint's lanes get). */
  activeAt(checkpointId: string): OfficerRecord[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM officers WHERE disabled_at IS NULL
             AND (checkpoints IS NULL OR instr(checkpoints, ';' || ? || ';') > 0) ORDER BY id`,
        )
        .all(checkpointId) as Row[]
    ).map(toRecord);
  }

  /** Active officers other than `exceptId` who serve at least one of these checkpoints. */
  activeSharing(exceptId: string, checkpoints: readonly string[] | null): OfficerRecord[] {
    return (
      this.db.prepare('SELECT * FROM officers WHERE disabled_at IS NULL AND id <> ?').all(exceptId) as Row[]
    )
      .map(toRecord)
      .filter((o) => checkpointsOverlap(o.checkpoints, checkpoints));
  }

  /** Creates or updates an officer (keeping the PIN hash when none is given); true if created. */
  upsert(o: OfficerInput, now: number): boolean {
    const existing = this.get(o.id);
    if (existing === null) {
      if (o.pinHash === undefined) throw new Error('a new officer needs a PIN hash');
      this.db
        .prepare(
          `INSERT INTO officers (id, name, role, pin_hash, checkpoints, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(o.id, o.name, o.role, o.pinHash, encodeCheckpoints(o.checkpoints), now, now);
      return true;
    }
    this.db
      .prepare(
        `UPDATE officers SET name = ?, role = ?, pin_hash = coalesce(?, pin_hash), checkpoints = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(o.name, o.role, o.pinHash ?? null, encodeCheckpoints(o.checkpoints), now, o.id);
    return false;
  }

  /** Disables or enables an officer; true if that changed anything. */
  setDisabled(id: string, disabled: boolean, now: number): boolean {
    const r = this.db
      .prepare(
        disabled
          ? 'UPDATE officers SET disabled_at = @now, updated_at = @now WHERE id = @id AND disabled_at IS NULL'
          : 'UPDATE officers SET disabled_at = NULL, updated_at = @now WHERE id = @id AND disabled_at IS NOT NULL',
      )
      .run({ id, now });
    return r.changes > 0;
  }
  /**
   * An admin's create or update, audited (`officer.create|update`; the PIN only as `pinChanged`),
   * with the roster version advanced.
   */
  save(o: OfficerInput, now: number, actor: string): OfficerChange & { readonly created: boolean } {
    return this.db.transaction(() => {
      const created = this.upsert(o, now);
      const version = this.bumpVersion();
      this.audit.record(now, actor, created ? 'officer.create' : 'officer.update', o.id, {
        name: o.name,
        role: o.role,
        checkpoints: o.checkpoints,
        pinChanged: o.pinHash !== undefined,
        version,
      });
      return { officer: this.stored(o.id), version, created };
    })();
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
  ): Result<OfficerChange & { readonly changed: boolean }, 'unknown_officer'> {
    return this.db.transaction(
      (): Result<OfficerChange & { readonly changed: boolean }, 'unknown_officer'> => {
        if (this.get(id) === null) return fail('unknown_officer');
        const changed = this.setDisabled(id, disabled, now);
        const version = changed ? this.bumpVersion() : this.version();
        if (changed)
          this.audit.record(now, actor, disabled ? 'officer.disable' : 'officer.enable', id, { version });
        return ok({ officer: this.stored(id), version, changed });
      },
    )();
  }

  /** An officer this transaction has just read or written. */
  private stored(id: string): OfficerRecord {
    const officer = this.get(id);
    if (officer === null) throw new Error(`officer ${id} vanished inside its own transaction`);
    return officer;
  }
}

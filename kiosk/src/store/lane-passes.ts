import type Database from 'better-sqlite3';

/** A public key that signs lane passes, with its validity period (epoch ms; `validUntil` null: open). */
export interface StoredPassKey {
  readonly keyId: number;
  /** base64url of the raw 32-byte Ed25519 public key. */
  readonly publicKey: string;
  readonly validFrom: number;
  readonly validUntil: number | null;
}

/** A revoked pass: its id (16 hex digits) and the end of its validity (epoch ms). */
export interface StoredPassRevocation {
  readonly passId: string;
  readonly until: number;
}

/** The pass directory as the lane holds it (lane migration 006), read once and kept in memory. */
export interface LanePassDirectory {
  /** The server's directory version (0: none taken yet). */
  readonly version: number;
  /** When the lane took it (epoch ms); null: never. */
  readonly syncedAt: number | null;
  readonly keys: readonly StoredPassKey[];
  /** Ids of revoked passes. */
  readonly revoked: ReadonlySet<string>;
}

/** What a new directory brings (checked and signed before it gets here). */
export interface NewPassDirectory {
  readonly version: number;
  readonly keys: readonly StoredPassKey[];
  readonly revoked: readonly StoredPassRevocation[];
}

const EMPTY: LanePassDirectory = { version: 0, syncedAt: null, keys: [], revoked: new Set() };

/**
 * The store's pass directory tables: the keys that sign passes and the revoked pass ids,
 * replaced whole in one transaction and read back into memory (a scan checks a pass against the
 * copy in memory, never a query).
 */
export class PassDirectoryTables {
  readonly #db: Database.Database;
  readonly #s;
  #current: LanePassDirectory;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      state: db.prepare('SELECT version, synced_at FROM pass_directory WHERE slot = 1'),
      keys: db.prepare('SELECT key_id, public_key, valid_from, valid_until FROM pass_keys ORDER BY key_id'),
      revoked: db.prepare('SELECT pass_id FROM pass_revocations').pluck(),
      putState: db.prepare<[number, number]>(
        `INSERT INTO pass_directory (slot, version, synced_at) VALUES (1, ?, ?)
           ON CONFLICT (slot) DO UPDATE SET version = excluded.version, synced_at = excluded.synced_at`,
      ),
      clearKeys: db.prepare('DELETE FROM pass_keys'),
      putKey: db.prepare<[number, string, number, number | null]>(
        'INSERT INTO pass_keys (key_id, public_key, valid_from, valid_until) VALUES (?, ?, ?, ?)',
      ),
      clearRevoked: db.prepare('DELETE FROM pass_revocations'),
      putRevoked: db.prepare<[string, number]>(
        `INSERT INTO pass_revocations (pass_id, until) VALUES (?, ?)
           ON CONFLICT (pass_id) DO UPDATE SET until = max(until, excluded.until)`,
      ),
      clearState: db.prepare('DELETE FROM pass_directory'),
    };
    this.#current = this.#read();
  }

  #read(): LanePassDirectory {
    const state = this.#s.state.get() as { version: number; synced_at: number } | undefined;
    if (state === undefined) return EMPTY;
    const keys = (
      this.#s.keys.all() as {
        key_id: number;
        public_key: string;
        valid_from: number;
        valid_until: number | null;
      }[]
    ).map((k) => ({
      keyId: k.key_id,
      publicKey: k.public_key,
      validFrom: k.valid_from,
      validUntil: k.valid_until,
    }));
    return {
      version: state.version,
      syncedAt: state.synced_at,
      keys,
      revoked: new Set(this.#s.revoked.all() as string[]),
    };
  }

  /** The directory held now (the same object until it is replaced). */
  get(): LanePassDirectory {
    return this.#current;
  }

  /**
   * Replaces the directory whole, in one transaction; revocations whose pass expired before
   * `syncedAt` are not kept. The copy in memory changes only once the transaction committed.
   */
  replace(next: NewPassDirectory, syncedAt: number): LanePassDirectory {
    this.#db.transaction(() => {
      this.#s.clearKeys.run();
      for (const k of next.keys) this.#s.putKey.run(k.keyId, k.publicKey, k.validFrom, k.validUntil);
      this.#s.clearRevoked.run();
      for (const r of next.revoked) if (r.until >= syncedAt) this.#s.putRevoked.run(r.passId, r.until);
      this.#s.putState.run(next.version, syncedAt);
    })();
    this.#current = this.#read();
    return this.#current;
  }

  /** Marks the directory held as current at `syncedAt` (the server answered the same version). */
  markSynced(syncedAt: number): void {
    if (this.#current.version === 0 && this.#current.syncedAt === null) return;
    this.#s.putState.run(this.#current.version, syncedAt);
    this.#current = { ...this.#current, syncedAt };
  }

  /** Forgets the directory (a new enrollment: the next server's directory is taken whatever its version). */
  clear(): void {
    this.#db.transaction(() => {
      this.#s.clearKeys.run();
      this.#s.clearRevoked.run();
      this.#s.clearState.run();
    })();
    this.#current = EMPTY;
  }
}

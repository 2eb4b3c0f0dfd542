// The storage of lane passes (issue 16), one interface over both engines: the pass signing keys,
// the pass directory's version, and movement declarations with their revocations.
import type { AuditEntry } from '../db/store/store.js';

/** A pass signing key as stored: the server's only (the private half is never sent). */
export interface StoredPassKey {
  /** 1..255: the pass's byte 1. */
  readonly keyId: number;
  /** Base64url of the raw 32-byte Ed25519 public key. */
  readonly publicKey: string;
  /** Base64 of the PKCS#8 DER private key. */
  readonly privateKey: string;
  /** Epoch ms: passes it signs begin at or after this. */
  readonly validFrom: number;
  /** Epoch ms: passes it signed may begin until this; null while it is the current key. */
  readonly validUntil: number | null;
  /** Epoch ms it was withdrawn (left out of the directory: every pass it signed is refused), or null. */
  readonly withdrawnAt: number | null;
  readonly createdAt: number;
}

/** A new key's halves (made by the caller: the store holds no crypto). */
export interface NewPassKey {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly validFrom: number;
}

/** How a rotation retires the current key. */
export interface PassKeyRetirement {
  /** The old key's validUntil: passes it signed may begin until then. */
  readonly validUntil: number;
  /** Withdraw it now (a compromised key): lanes drop it, every pass it signed is refused. */
  readonly withdraw: boolean;
  /**
   * A key id may be given again only when its key's validUntil is before this (no pass it signed
   * can still be valid), and only once all 255 ids are taken.
   */
  readonly reuseBefore: number;
}

/** What a rotation did. */
export type PassKeyRotation =
  | {
      readonly kind: 'rotated';
      readonly key: StoredPassKey;
      /** The key id retired, null when there was no current key. */
      readonly previous: number | null;
      readonly version: number;
    }
  | { readonly kind: 'no_key_id' };

/** What withdrawing a key by id did. */
export type PassKeyWithdrawal =
  | {
      readonly kind: 'withdrawn';
      readonly keyId: number;
      /** When it was withdrawn (the first time, if it was already). */
      readonly withdrawnAt: number;
      /** Whether it was withdrawn before this call (nothing changed then). */
      readonly already: boolean;
      /** The new current key's id when the withdrawn key was the current one, else null. */
      readonly replacedBy: number | null;
      /** The directory's version after it. */
      readonly version: number;
    }
  | { readonly kind: 'not_found' }
  /** It was the current key and no id is free for the key that would replace it: nothing changed. */
  | { readonly kind: 'no_key_id' };

/** An area by GSO codes (province 1..99; district, ward null when not given). */
export interface AreaCodes {
  readonly province: number;
  readonly district: number | null;
  readonly ward: number | null;
}

/** One movement declaration as stored. */
export interface DeclarationRecord {
  /** 16 lower-case hex digits; the pass id too when a pass was issued. */
  readonly id: string;
  /** The pass's id, or null when no pass was issued (health hold). */
  readonly passId: string | null;
  /** The key that signed the pass, or null. */
  readonly passKeyId: number | null;
  readonly createdAt: number;
  /** The personal ID under the server's index key (as scans and lists are keyed). */
  readonly subjectKey: bigint;
  readonly personalId: string;
  readonly fullName: string;
  readonly phone: string;
  readonly from: AreaCodes;
  readonly to: AreaCodes;
  /** Compact plate, or null. */
  readonly plate: string | null;
  readonly purpose: string;
  /** `YYYY-MM-DD` (Vietnam's calendar). */
  readonly travelDate: string;
  readonly validFrom: number;
  readonly validUntil: number;
}

/** What a revocation did. */
export type PassRevocation =
  | {
      readonly kind: 'revoked';
      readonly passId: string;
      /** When it was revoked (the first time, if it was already). */
      readonly revokedAt: number;
      /** The pass's validUntil. */
      readonly until: number;
      /** Whether it was revoked before this call (nothing changed then). */
      readonly already: boolean;
      /** The directory's version after it. */
      readonly version: number;
    }
  | { readonly kind: 'not_found' };

/** The pass directory as stored: its version, the keys not withdrawn, the revoked passes not yet expired. */
export interface StoredPassDirectory {
  readonly version: number;
  readonly keys: readonly StoredPassKey[];
  readonly revoked: readonly { readonly passId: string; readonly until: number }[];
}

/** Lane passes' storage (SQLite `PassesRepository`, PostgreSQL `PgPassesStore`). */
export interface PassesStore {
  /** Every pass key, by key id (private halves included: server only). */
  keys(): Promise<StoredPassKey[]>;
  /**
   * Stores `make()`'s key under id 1 when there is no key at all (first start; servers starting
   * together store one); answers the keys.
   */
  ensureKey(make: () => NewPassKey, now: number): Promise<StoredPassKey[]>;
  /**
   * Retires the current key as `retire` says, stores `make()`'s key as the current one under a
   * free id, advances the directory version, and writes `audit`'s record: one transaction.
   */
  rotateKey(
    now: number,
    make: () => NewPassKey,
    retire: PassKeyRetirement,
    audit?: (r: Extract<PassKeyRotation, { kind: 'rotated' }>) => AuditEntry,
  ): Promise<PassKeyRotation>;
  /**
   * Withdraws key `keyId` (lanes drop it, every pass it signed is refused): the first time
   * advances the directory version; when it is the current key, `make()`'s key becomes current
   * (as a compromised rotation, ids reused as `reuseBefore` allows). Audits `pass.key_withdraw` by
   * `actor` (every time), in one transaction.
   */
  withdrawKey(
    keyId: number,
    now: number,
    make: () => NewPassKey,
    reuseBefore: number,
    actor: string,
  ): Promise<PassKeyWithdrawal>;
  /** Stores a declaration. */
  addDeclaration(d: DeclarationRecord): Promise<void>;
  /**
   * Revokes a pass (the first time advances the directory version) and audits `pass.revoke` by
   * `actor` (every time), in one transaction.
   */
  revoke(passId: string, now: number, actor: string): Promise<PassRevocation>;
  /** The directory at `now`, read in one transaction. */
  directory(now: number): Promise<StoredPassDirectory>;
  /** The directory's version. */
  version(): Promise<number>;
}

/**
 * The id a new key gets: the smallest of 1..255 no key holds; when all are held, the id of the
 * key retired longest ago that is withdrawn or whose validUntil is before `reuseBefore` (its row
 * then goes: `replaces`). Null when none can be given.
 */
export function pickPassKeyId(
  keys: readonly StoredPassKey[],
  reuseBefore: number,
): { keyId: number; replaces: boolean } | null {
  const held = new Set(keys.map((k) => k.keyId));
  for (let id = 1; id <= 255; id++) if (!held.has(id)) return { keyId: id, replaces: false };
  const spent = keys
    .filter((k) => k.validUntil !== null && (k.withdrawnAt !== null || k.validUntil < reuseBefore))
    .sort((a, b) => (a.validUntil ?? 0) - (b.validUntil ?? 0) || a.keyId - b.keyId)[0];
  return spent === undefined ? null : { keyId: spent.keyId, replaces: true };
}

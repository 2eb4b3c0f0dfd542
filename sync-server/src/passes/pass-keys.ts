// The server's pass signing keys (issue 16): Ed25519, each with a 1-byte id and a period, kept in
// the database (`pass_keys`, private halves as PKCS#8 DER like the list-signing keys). One is
// current and signs every pass; a rotation retires it (lanes keep accepting the passes it signed
// whose validFrom falls in its period) and makes a new current key under a free id.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { formatPass, passSigningBytes, type PassBody, type PassKey } from '@checkpoint-lane/shared';
import type { AuditEntry } from '../db/store/store.js';
import type {
  NewPassKey,
  PassesStore,
  PassKeyRotation,
  PassKeyWithdrawal,
  StoredPassKey,
} from './passes-store.js';

const DAY_MS = 24 * 3_600_000;
/** Vietnam keeps one time zone, UTC+7, with no daylight saving. */
export const VIETNAM_OFFSET_MS = 7 * 3_600_000;
/** A travel date may be today or up to this many days ahead (Vietnam's calendar). */
export const PASS_MAX_DAYS_AHEAD = 7;
/** A pass is valid from its travel date's 00:00 (UTC+7), or its issue if later, for this many days. */
export const PASS_VALID_DAYS = 3;
/**
 * How long a rotated-out key's period runs on: past the latest validFrom it can have signed (a
 * travel date {@link PASS_MAX_DAYS_AHEAD} days ahead, and a day for a server that signed with it
 * before it heard of the rotation).
 */
export const PASS_KEY_RETIRE_MS = (PASS_MAX_DAYS_AHEAD + 1) * DAY_MS;
/** A key id is given again only once no pass its key signed can still be valid. */
export const PASS_KEY_REUSE_AFTER_MS = (PASS_VALID_DAYS + 1) * DAY_MS;
/** How long this server signs with the key it last read before reading the keys again (another server may have rotated). */
const RELOAD_MS = 5_000;

/** `ms` rounded down to a whole minute. */
export const floorMinute = (ms: number): number => Math.floor(ms / 60_000) * 60_000;

function newKey(now: number): NewPassKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an Ed25519 public key');
  return {
    publicKey: x,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    // Passes start on whole minutes at or after their issue: the key's period starts with its minute.
    validFrom: floorMinute(now),
  };
}

/** A key as the admin API lists it: its public half, and when it was withdrawn (null: not). */
export function listedPassKey(k: StoredPassKey): PassKey & { readonly withdrawnAt: number | null } {
  return { ...publicPassKey(k), withdrawnAt: k.withdrawnAt };
}

/** A key's public half as lanes get it. */
export function publicPassKey(k: StoredPassKey): PassKey {
  return { keyId: k.keyId, publicKey: k.publicKey, validFrom: k.validFrom, validUntil: k.validUntil };
}

interface CurrentKey {
  readonly keyId: number;
  readonly key: KeyObject;
}

function currentOf(keys: readonly StoredPassKey[]): CurrentKey {
  const k = keys.find((x) => x.validUntil === null && x.withdrawnAt === null);
  if (k === undefined) throw new Error('no current pass signing key');
  const key = createPrivateKey({ key: Buffer.from(k.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  // A private half that does not match its public half would sign passes no lane accepts.
  if (createPublicKey(key).export({ format: 'jwk' }).x !== k.publicKey)
    throw new Error('pass signing key: private and public halves differ');
  return { keyId: k.keyId, key };
}

/** The pass signing keys: signs with the current one, rotates them. */
export class PassSigner {
  #current: CurrentKey;
  #readAt: number;
  #reading: Promise<void> | null = null;

  private constructor(
    private readonly store: PassesStore,
    keys: readonly StoredPassKey[],
    now: number,
  ) {
    this.#current = currentOf(keys);
    this.#readAt = now;
  }

  /** Loads the keys, making the first one when there is none. */
  static async load(store: PassesStore, now: number): Promise<PassSigner> {
    return new PassSigner(store, await store.ensureKey(() => newKey(now), now), now);
  }

  /** Reads the keys again (another server of the fleet may have rotated them). */
  async reload(now: number): Promise<void> {
    this.#current = currentOf(await this.store.keys());
    this.#readAt = now;
  }

  /** The id of the key that signs now (as last read). */
  get currentId(): number {
    return this.#current.keyId;
  }

  /**
   * Signs a pass with the current key, re-read first when it was read more than 5 s ago; answers
   * the pass's text. Throws a RangeError when the body cannot be a pass.
   */
  async issue(body: Omit<PassBody, 'keyId'>, now: number): Promise<{ keyId: number; text: string }> {
    if (now - this.#readAt >= RELOAD_MS || now < this.#readAt) {
      // One read at a time, however many passes wait on it.
      this.#reading ??= this.reload(now).finally(() => {
        this.#reading = null;
      });
      await this.#reading;
    }
    const { keyId, key } = this.#current;
    const full: PassBody = { ...body, keyId };
    const signature = sign(null, passSigningBytes(full), key);
    return { keyId, text: formatPass(full, signature) };
  }

  /**
   * Makes a new current key. The old one signs nothing more; lanes accept the passes it signed
   * whose validFrom is within {@link PASS_KEY_RETIRE_MS} of now, or none (`withdraw`: a
   * compromised key leaves the directory). Audited with `record`'s entry in the same transaction.
   */
  async rotate(
    now: number,
    withdraw: boolean,
    record?: (r: Extract<PassKeyRotation, { kind: 'rotated' }>) => AuditEntry,
  ): Promise<PassKeyRotation> {
    const r = await this.store.rotateKey(
      now,
      () => newKey(now),
      {
        validUntil: withdraw ? now : now + PASS_KEY_RETIRE_MS,
        withdraw,
        reuseBefore: now - PASS_KEY_REUSE_AFTER_MS,
      },
      record,
    );
    if (r.kind === 'rotated') await this.reload(now);
    return r;
  }

  /**
   * Withdraws key `keyId` (any key, current or retired): lanes drop it and refuse every pass it
   * signed. Withdrawing the current key makes a new current key, as a compromised rotation does.
   * Audited (`pass.key_withdraw` by `actor`) in the same transaction.
   */
  async withdraw(keyId: number, now: number, actor: string): Promise<PassKeyWithdrawal> {
    const r = await this.store.withdrawKey(
      keyId,
      now,
      () => newKey(now),
      now - PASS_KEY_REUSE_AFTER_MS,
      actor,
    );
    if (r.kind === 'withdrawn' && r.replacedBy !== null) await this.reload(now);
    return r;
  }
}

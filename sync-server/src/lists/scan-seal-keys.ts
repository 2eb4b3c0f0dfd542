// The server's scan seal key: an X25519 key pair made at first start and kept in the database's
// settings (`scan_seal_key`). Lanes get the public half (enroll and /list-key answers) and seal
// each scan's canonical subject to it (format: shared sync/subject-seal.ts); the server opens
// the seals with the private half, which is never logged or sent.
import {
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import {
  isSealedSubjectText,
  type SealedSubjectParts,
  SUBJECT_SEAL_INFO,
  SUBJECT_SEAL_PUBLIC_KEY_BYTES,
  subjectSealSalt,
  unframeSealedSubject,
} from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import type { SettingsStore } from '../db/store/store.js';
import { SettingsRepository } from '../db/repositories/settings-repository.js';

/** The settings row that holds the key pair (JSON; the private half as PKCS#8 DER, base64). */
export const SCAN_SEAL_KEY_SETTING = 'scan_seal_key';

interface StoredSealKey {
  readonly privateKey: string;
  readonly createdAt: number;
}

function newStoredKey(now: number): Buffer {
  const { privateKey } = generateKeyPairSync('x25519');
  const stored: StoredSealKey = {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    createdAt: now,
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

function parseStoredKey(value: Buffer): KeyObject {
  let stored: unknown;
  try {
    stored = JSON.parse(value.toString('utf8'));
  } catch {
    throw new Error(`settings ${SCAN_SEAL_KEY_SETTING} is not JSON`);
  }
  const privateKey = (stored as Partial<StoredSealKey> | null)?.privateKey;
  if (typeof privateKey !== 'string')
    throw new Error(`settings ${SCAN_SEAL_KEY_SETTING} holds no private key`);
  const key = createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'x25519')
    throw new Error(`settings ${SCAN_SEAL_KEY_SETTING} is not an X25519 key`);
  return key;
}

/** The raw 32-byte X25519 public key of a private or public key object. */
export function rawX25519PublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an X25519 key');
  return Buffer.from(x, 'base64url');
}

function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/**
 * The AES-256-GCM key of a seal's ephemeral public key: X25519 with the server's private key,
 * then HKDF-SHA256 (shared sync/subject-seal.ts). Throws on a public key X25519 refuses.
 */
function sealKeyOf(
  serverPrivateKey: KeyObject,
  ephemeralPublic: Uint8Array,
  serverPublicKey: Uint8Array,
): Buffer {
  const secret = diffieHellman({ privateKey: serverPrivateKey, publicKey: x25519PublicKey(ephemeralPublic) });
  return Buffer.from(
    hkdfSync('sha256', secret, subjectSealSalt(ephemeralPublic, serverPublicKey), SUBJECT_SEAL_INFO, 32),
  );
}

/** The plaintext of a seal's parts under `key`, or null when the tag or the UTF-8 does not hold. */
function decryptSeal(key: Buffer, parts: SealedSubjectParts): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce, { authTagLength: 16 });
    decipher.setAAD(parts.header);
    decipher.setAuthTag(parts.tag);
    const plain = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}

/**
 * Opens a sealed subject (shared sync/subject-seal.ts) with the server's private key: the
 * canonical subject, or null for anything that is not a seal to this key made by the format
 * (bad base64, wrong length or version, a tampered byte, another key). Never throws.
 * `serverPublicKey` (raw 32 bytes) saves deriving it from the private key on each call.
 */
export function openSealedSubject(
  serverPrivateKey: KeyObject,
  sealed: string,
  serverPublicKey: Uint8Array = rawX25519PublicKey(serverPrivateKey),
): string | null {
  if (typeof sealed !== 'string' || !isSealedSubjectText(sealed)) return null;
  const parts = unframeSealedSubject(Buffer.from(sealed, 'base64'));
  if (parts === null) return null;
  let key: Buffer;
  try {
    key = sealKeyOf(serverPrivateKey, parts.ephemeralPublic, serverPublicKey);
  } catch {
    return null;
  }
  return decryptSeal(key, parts);
}

/**
 * Base64 characters that hold a seal's version and ephemeral public key: its first 33 bytes, a
 * whole number of 3-byte groups, so the same ephemeral key always starts the text the same way.
 */
const EPHEMERAL_PREFIX_CHARS = ((1 + SUBJECT_SEAL_PUBLIC_KEY_BYTES) / 3) * 4;

/** How many ephemeral keys' AES keys a server keeps (about 100 bytes each). */
export const DEFAULT_SEAL_KEY_CACHE_ENTRIES = 16_384;

/** The server's scan seal key pair: the public half for lanes, opening for scan ingest. */
export class ScanSealKeys {
  readonly #privateKey: KeyObject;
  readonly #publicKey: Buffer;
  /**
   * AES keys by the base64 that starts a seal (version and ephemeral public key), least recently
   * used first. A lane seals many scans under one ephemeral key (kiosk agent/subject-sealer.ts),
   * so a batch costs one X25519 instead of one per scan. Only keys that opened a seal go in.
   */
  readonly #aesKeys = new Map<string, Buffer>();
  readonly #cacheEntries: number;
  #derivations = 0;

  private constructor(privateKey: KeyObject, cacheEntries = DEFAULT_SEAL_KEY_CACHE_ENTRIES) {
    this.#privateKey = privateKey;
    this.#publicKey = rawX25519PublicKey(privateKey);
    this.#cacheEntries = Math.max(0, Math.floor(cacheEntries));
    if (this.#publicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
      throw new Error('scan seal key: the public key is not 32 bytes');
  }

  /** Loads the key pair from the server's settings, creating it if there is none (one across servers). */
  static async load(
    settings: SettingsStore,
    clock: () => number = Date.now,
    cacheEntries = DEFAULT_SEAL_KEY_CACHE_ENTRIES,
  ): Promise<ScanSealKeys> {
    const value = await settings.getOrCreate(SCAN_SEAL_KEY_SETTING, () => newStoredKey(clock()));
    return new ScanSealKeys(parseStoredKey(value), cacheEntries);
  }

  /** Loads the key pair from a SQLite database's settings, creating it if there is none. */
  static open(
    db: Db,
    clock: () => number = Date.now,
    cacheEntries = DEFAULT_SEAL_KEY_CACHE_ENTRIES,
  ): ScanSealKeys {
    const value = new SettingsRepository(db).getOrCreate(SCAN_SEAL_KEY_SETTING, () => newStoredKey(clock()));
    return new ScanSealKeys(parseStoredKey(value), cacheEntries);
  }

  /** The public half as lanes receive it (`scanSealKey`): base64 of the raw 32 bytes. */
  publicKeyBase64(): string {
    return this.#publicKey.toString('base64');
  }

  /** X25519 derivations done so far (an ephemeral key not in the cache costs one). */
  get derivations(): number {
    return this.#derivations;
  }

  /** The canonical subject a lane sealed to this key, or null (see `openSealedSubject`). Never throws. */
  open(sealed: string): string | null {
    if (typeof sealed !== 'string' || !isSealedSubjectText(sealed)) return null;
    const parts = unframeSealedSubject(Buffer.from(sealed, 'base64'));
    if (parts === null) return null;
    const prefix = sealed.slice(0, EPHEMERAL_PREFIX_CHARS);
    const cached = this.#aesKeys.get(prefix);
    if (cached !== undefined) {
      // Most recently used last.
      this.#aesKeys.delete(prefix);
      this.#aesKeys.set(prefix, cached);
      return decryptSeal(cached, parts);
    }
    let key: Buffer;
    try {
      this.#derivations++;
      key = sealKeyOf(this.#privateKey, parts.ephemeralPublic, this.#publicKey);
    } catch {
      return null;
    }
    const plain = decryptSeal(key, parts);
    if (plain !== null && this.#cacheEntries > 0) {
      if (this.#aesKeys.size >= this.#cacheEntries) {
        const oldest = this.#aesKeys.keys().next().value;
        if (oldest !== undefined) this.#aesKeys.delete(oldest);
      }
      this.#aesKeys.set(prefix, key);
    }
    return plain;
  }

  /** What logging or serialising this object shows: the public half only. */
  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKeyBase64() };
  }
}

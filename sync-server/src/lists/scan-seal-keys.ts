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
  try {
    const secret = diffieHellman({
      privateKey: serverPrivateKey,
      publicKey: x25519PublicKey(parts.ephemeralPublic),
    });
    const key = Buffer.from(
      hkdfSync(
        'sha256',
        secret,
        subjectSealSalt(parts.ephemeralPublic, serverPublicKey),
        SUBJECT_SEAL_INFO,
        32,
      ),
    );
    const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce, { authTagLength: 16 });
    decipher.setAAD(parts.header);
    decipher.setAuthTag(parts.tag);
    const plain = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}

/** The server's scan seal key pair: the public half for lanes, opening for scan ingest. */
export class ScanSealKeys {
  readonly #privateKey: KeyObject;
  readonly #publicKey: Buffer;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.#publicKey = rawX25519PublicKey(privateKey);
    if (this.#publicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
      throw new Error('scan seal key: the public key is not 32 bytes');
  }

  /** Loads the key pair from the server's settings, creating it if there is none (one across servers). */
  static async load(settings: SettingsStore, clock: () => number = Date.now): Promise<ScanSealKeys> {
    const value = await settings.getOrCreate(SCAN_SEAL_KEY_SETTING, () => newStoredKey(clock()));
    return new ScanSealKeys(parseStoredKey(value));
  }

  /** Loads the key pair from a SQLite database's settings, creating it if there is none. */
  static open(db: Db, clock: () => number = Date.now): ScanSealKeys {
    const value = new SettingsRepository(db).getOrCreate(SCAN_SEAL_KEY_SETTING, () => newStoredKey(clock()));
    return new ScanSealKeys(parseStoredKey(value));
  }

  /** The public half as lanes receive it (`scanSealKey`): base64 of the raw 32 bytes. */
  publicKeyBase64(): string {
    return this.#publicKey.toString('base64');
  }

  /** The canonical subject a lane sealed to this key, or null (see `openSealedSubject`). */
  open(sealed: string): string | null {
    return openSealedSubject(this.#privateKey, sealed, this.#publicKey);
  }

  /** What logging or serialising this object shows: the public half only. */
  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKeyBase64() };
  }
}

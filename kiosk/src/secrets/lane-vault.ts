// The lane's secrets on disk: its whole enrollment (token, list key K, every field of the
// enrollment answer; after a key rotation the newest K and any older one a list is still keyed
// with, see list-key-ring.ts) and a locally made PIN pepper, encrypted with AES-256-GCM under a random
// 32-byte wrapping key into DATA/lane-secrets.enc. The wrapping key is sealed by a KeyStore (the
// TPM by default), so the file opens only on this machine. The header (format, version, key
// store kind, cipher) is bound to the ciphertext as additional data: changing it breaks the tag.
// DATA/lane-identity.json repeats what is not secret (kiosk id, server, checkpoint, key store)
// for diagnostics and for a lane that cannot unseal.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import Value from 'typebox/value';
import { LaneCredentialsSchema, type LaneCredentials } from '../sync/credentials.js';
import { writePrivateFileAtomic } from '../util/private-file.js';
import {
  KEY_STORE_KINDS,
  WRAPPING_KEY_BYTES,
  type KeyStore,
  type KeyStoreKind,
  type KeyStoreProblem,
} from './key-store.js';

/** The encrypted secrets file in DATA. */
export const SECRETS_FILE = 'lane-secrets.enc';
/** The plain, non-secret identity file in DATA. */
export const IDENTITY_FILE = 'lane-identity.json';
/** Bytes of the per-lane PIN pepper. */
export const PIN_PEPPER_BYTES = 32;

const FORMAT = 'checkpoint-lane-secrets';
const CIPHER = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Why the vault could not be opened or written. `missing`: no secrets file (not enrolled);
 * `wrong-store`: sealed by another key store than the one chosen; `corrupt`: the file or its
 * seal is damaged or does not decrypt; the rest are the key store's own codes.
 */
export interface VaultProblem {
  readonly code: 'missing' | 'wrong-store' | KeyStoreProblem['code'];
  readonly message: string;
}

/** What `lane-identity.json` holds: nothing secret. */
export interface LaneIdentity {
  readonly kioskId: string;
  readonly serverUrl: string;
  readonly checkpointId: string;
  readonly keyStore: KeyStoreKind;
}

/** The header written in clear and bound to the ciphertext. */
interface Header {
  readonly format: typeof FORMAT;
  readonly version: 1;
  readonly keyStore: KeyStoreKind;
  readonly cipher: typeof CIPHER;
}

/** A wrapping key sealed but no secrets written yet (`commit` writes them). */
export interface PendingVault {
  commit(credentials: LaneCredentials, pinPepper?: Buffer): Result<LaneVault, VaultProblem>;
  /** Forgets the wrapping key (the seal stays, unused, until the next `begin`). */
  discard(): void;
}

/** The lane's opened secrets: held in memory after one unseal at start. */
export class LaneVault {
  readonly #dataDir: string;
  readonly #kind: KeyStoreKind;
  readonly #wrappingKey: Buffer;
  #credentials: LaneCredentials;
  readonly #pinPepper: Buffer;

  private constructor(
    dataDir: string,
    kind: KeyStoreKind,
    wrappingKey: Buffer,
    credentials: LaneCredentials,
    pinPepper: Buffer,
  ) {
    this.#dataDir = dataDir;
    this.#kind = kind;
    this.#wrappingKey = wrappingKey;
    this.#credentials = credentials;
    this.#pinPepper = pinPepper;
  }

  /** Whether the data folder holds a secrets file (nothing is opened). */
  static exists(dataDir: string): boolean {
    return existsSync(join(dataDir, SECRETS_FILE));
  }

  /** The plain identity file, or null if absent or unreadable. */
  static readIdentity(dataDir: string): LaneIdentity | null {
    try {
      const value: unknown = JSON.parse(readFileSync(join(dataDir, IDENTITY_FILE), 'utf8'));
      return isIdentity(value) ? value : null;
    } catch {
      return null;
    }
  }

  /**
   * Seals a new wrapping key with `keyStore` (replacing its older seal) before any secret exists:
   * a lane that cannot seal finds out before it spends a one-time enrollment code.
   */
  static async begin(dataDir: string, keyStore: KeyStore): Promise<Result<PendingVault, VaultProblem>> {
    const wrappingKey = randomBytes(WRAPPING_KEY_BYTES);
    const sealed = await keyStore.seal(wrappingKey);
    if (!sealed.ok) {
      wrappingKey.fill(0);
      return sealed;
    }
    let used = false;
    return ok({
      commit: (credentials, pinPepper) => {
        if (used) return fail({ code: 'corrupt', message: 'this pending vault was already used' });
        used = true;
        const pepper = pinPepper ?? randomBytes(PIN_PEPPER_BYTES);
        const vault = new LaneVault(dataDir, keyStore.kind, wrappingKey, credentials, pepper);
        const written = vault.#write();
        if (!written.ok) wrappingKey.fill(0);
        return written.ok ? ok(vault) : written;
      },
      discard: () => {
        used = true;
        wrappingKey.fill(0);
      },
    });
  }

  /** Seals a new wrapping key and writes `credentials` (and a new PIN pepper unless given) under it. */
  static async create(
    dataDir: string,
    keyStore: KeyStore,
    credentials: LaneCredentials,
    pinPepper?: Buffer,
  ): Promise<Result<LaneVault, VaultProblem>> {
    const pending = await LaneVault.begin(dataDir, keyStore);
    return pending.ok ? pending.value.commit(credentials, pinPepper) : pending;
  }

  /** Unseals the wrapping key with `keyStore` and decrypts the secrets into memory. */
  static async open(dataDir: string, keyStore: KeyStore): Promise<Result<LaneVault, VaultProblem>> {
    const file = join(dataDir, SECRETS_FILE);
    if (!existsSync(file)) return fail({ code: 'missing', message: `${file} does not exist` });
    const parsed = readSealedFile(file);
    if (!parsed.ok) return parsed;
    const { header, nonce, ciphertext, tag } = parsed.value;
    if (header.keyStore !== keyStore.kind) {
      return fail({
        code: 'wrong-store',
        message:
          `the lane's secrets were sealed with the ${header.keyStore} key store, not ${keyStore.kind}: ` +
          `start it with --key-store ${header.keyStore}`,
      });
    }
    const unsealed = await keyStore.unseal();
    if (!unsealed.ok) return unsealed;
    const wrappingKey = unsealed.value;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(CIPHER, wrappingKey, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(headerBytes(header));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      wrappingKey.fill(0);
      return fail({
        code: 'corrupt',
        message: `${file} does not decrypt with the sealed key (damaged, or from another seal)`,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(plain.toString('utf8'));
    } catch {
      body = null;
    } finally {
      plain.fill(0);
    }
    const secrets = readBody(body);
    if (secrets === null) {
      wrappingKey.fill(0);
      return fail({ code: 'corrupt', message: `${file} decrypts but holds no valid lane credentials` });
    }
    return ok(new LaneVault(dataDir, header.keyStore, wrappingKey, secrets.credentials, secrets.pinPepper));
  }

  /** The lane's enrollment: server, kiosk id, token, list key K, checkpoint … */
  get credentials(): LaneCredentials {
    return this.#credentials;
  }

  /** The per-lane secret mixed into officer PIN hashes (never leaves the lane). */
  get pinPepper(): Buffer {
    return this.#pinPepper;
  }

  /** Which key store sealed these secrets. */
  get keyStoreKind(): KeyStoreKind {
    return this.#kind;
  }

  /** Replaces the stored credentials (same wrapping key and pepper; a fresh nonce), atomically. */
  update(credentials: LaneCredentials): Result<void, VaultProblem> {
    const before = this.#credentials;
    this.#credentials = credentials;
    const written = this.#write();
    if (!written.ok) this.#credentials = before;
    return written;
  }

  #write(): Result<void, VaultProblem> {
    if (!Value.Check(LaneCredentialsSchema, this.#credentials)) {
      return fail({ code: 'corrupt', message: 'refusing to seal invalid lane credentials' });
    }
    const header: Header = { format: FORMAT, version: 1, keyStore: this.#kind, cipher: CIPHER };
    const nonce = randomBytes(NONCE_BYTES);
    const plain = Buffer.from(
      JSON.stringify({ credentials: this.#credentials, pinPepper: this.#pinPepper.toString('base64') }),
      'utf8',
    );
    const cipher = createCipheriv(CIPHER, this.#wrappingKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(headerBytes(header));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const file = {
      ...header,
      nonce: nonce.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
    const c = this.#credentials;
    const identity: LaneIdentity = {
      kioskId: c.kioskId,
      serverUrl: c.serverUrl,
      checkpointId: c.checkpoint.id,
      keyStore: this.#kind,
    };
    try {
      writePrivateFileAtomic(join(this.#dataDir, SECRETS_FILE), `${JSON.stringify(file, null, 2)}\n`);
      writePrivateFileAtomic(join(this.#dataDir, IDENTITY_FILE), `${JSON.stringify(identity, null, 2)}\n`);
    } catch (error) {
      return fail({
        code: 'unavailable',
        message: `cannot write the lane's secrets: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    return ok(undefined);
  }
}

/** The header's bytes as bound to the ciphertext (fixed key order). */
function headerBytes(h: Header): Buffer {
  return Buffer.from(
    JSON.stringify({ format: h.format, version: h.version, keyStore: h.keyStore, cipher: h.cipher }),
    'utf8',
  );
}

function readSealedFile(
  file: string,
): Result<{ header: Header; nonce: Buffer; ciphertext: Buffer; tag: Buffer }, VaultProblem> {
  const corrupt = (why: string): Result<never, VaultProblem> =>
    fail({ code: 'corrupt', message: `${file} ${why}` });
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return corrupt('is not readable JSON');
  }
  if (typeof value !== 'object' || value === null) return corrupt('is not a secrets file');
  const v = value as Record<string, unknown>;
  if (v['format'] !== FORMAT || v['cipher'] !== CIPHER) return corrupt('is not a secrets file of this lane');
  if (v['version'] !== 1) return corrupt(`has version ${String(v['version'])}, this lane reads 1`);
  const keyStore = v['keyStore'];
  if (!KEY_STORE_KINDS.includes(keyStore as KeyStoreKind)) return corrupt('names no known key store');
  const bytes = (name: string): Buffer | null => {
    const s = v[name];
    return typeof s === 'string' && /^[A-Za-z0-9+/]*=*$/.test(s) ? Buffer.from(s, 'base64') : null;
  };
  const nonce = bytes('nonce');
  const ciphertext = bytes('ciphertext');
  const tag = bytes('tag');
  if (nonce?.length !== NONCE_BYTES || tag?.length !== TAG_BYTES || ciphertext === null) {
    return corrupt('has a damaged nonce, tag or ciphertext');
  }
  return ok({
    header: { format: FORMAT, version: 1, keyStore: keyStore as KeyStoreKind, cipher: CIPHER },
    nonce,
    ciphertext,
    tag,
  });
}

function readBody(body: unknown): { credentials: LaneCredentials; pinPepper: Buffer } | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const pepper = typeof b['pinPepper'] === 'string' ? Buffer.from(b['pinPepper'], 'base64') : null;
  if (pepper?.length !== PIN_PEPPER_BYTES) return null;
  if (!Value.Check(LaneCredentialsSchema, b['credentials'])) return null;
  return { credentials: b['credentials'], pinPepper: pepper };
}

function isIdentity(value: unknown): value is LaneIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['kioskId'] === 'string' &&
    typeof v['serverUrl'] === 'string' &&
    typeof v['checkpointId'] === 'string' &&
    KEY_STORE_KINDS.includes(v['keyStore'] as KeyStoreKind)
  );
}

// The server's Ed25519 list-signing keys: created at first start, kept (private halves
// included) in the database's settings, never sent; one is current and signs every snapshot,
// changes answer and urgent push. A rotation makes a new current key endorsed by the previous
// one, which stays valid for lanes a short overlap longer and signs nothing more.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import {
  canonicalChangeLine,
  canonicalCheckpointConfig,
  canonicalCheckpointConfigV2,
  canonicalRosterLine,
  checkpointConfigMessage,
  checkpointConfigMessageV2,
  formatListSignature,
  keyEndorsementMessage,
  listSignatureMessage,
  rosterMessage,
  type CanonicalChange,
  type CheckpointConfig,
  type CheckpointSignatures,
  type OfficerRoster,
  type ListSigningKey,
  type ListSigningKeysAnswer,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import type { AuditEntry, SettingsStore } from '../db/store/store.js';
import { openSqliteSettings } from '../db/store/sqlite-settings.js';

/** The settings row that holds every list-signing key (JSON; private halves as PKCS#8 DER, base64). */
export const SIGNING_KEYS_SETTING = 'list_signing_keys';

/** How long lanes still accept a key after it was rotated out (data signed just before the rotation). */
export const SIGNING_KEY_OVERLAP_MS = 60 * 60 * 1000;

interface StoredKey extends ListSigningKey {
  /** Base64 of the PKCS#8 DER private key. */
  readonly privateKey: string;
}

/** Base64 of a public key's raw 32 bytes. */
function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** A key's id: the first 16 hex digits of SHA-256 over its raw public key. */
export function listSigningKeyId(publicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').slice(0, 16);
}

/** SHA-256 (hex) of changes in their canonical form, in the order given. */
export function changesDigest(changes: readonly CanonicalChange[]): string {
  const h = createHash('sha256');
  for (const c of changes) h.update(canonicalChangeLine(c), 'utf8');
  return h.digest('hex');
}

function newKey(validFrom: number): { stored: StoredKey; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = rawPublicKey(publicKey);
  return {
    stored: {
      id: listSigningKeyId(pub),
      publicKey: pub,
      validFrom,
      validUntil: null,
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    },
    privateKey,
  };
}

function parseStored(value: Buffer): StoredKey[] {
  const keys = JSON.parse(value.toString('utf8')) as unknown;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error(`settings ${SIGNING_KEYS_SETTING} is not a key list`);
  return keys as StoredKey[];
}

const publicPart = ({ privateKey: _secret, ...pub }: StoredKey): ListSigningKey => pub;

/** The server's list-signing keys; signs with the current one. */
export class ListSigner {
  #keys: StoredKey[];
  #current: { id: string; key: KeyObject };

  private constructor(
    private readonly settings: SettingsStore,
    keys: StoredKey[],
  ) {
    this.#keys = keys;
    this.#current = ListSigner.#currentOf(keys);
  }

  /** Loads the keys from the database's settings, creating the first one if there is none. */
  static async load(settings: SettingsStore, now: number): Promise<ListSigner> {
    const value = await settings.getOrCreate(SIGNING_KEYS_SETTING, () =>
      Buffer.from(JSON.stringify([newKey(now).stored])),
    );
    return new ListSigner(settings, parseStored(value));
  }

  /** {@link ListSigner.load} from a SQLite database (tools and tests). */
  static open(db: Db, now: number): Promise<ListSigner> {
    return ListSigner.load(openSqliteSettings(db), now);
  }

  /**
   * Reads the keys again (another server of the fleet may have rotated them); true when they
   * changed.
   */
  async reload(): Promise<boolean> {
    const value = await this.settings.get(SIGNING_KEYS_SETTING);
    if (value === null) return false;
    const keys = parseStored(value);
    if (JSON.stringify(keys) === JSON.stringify(this.#keys)) return false;
    this.#current = ListSigner.#currentOf(keys);
    this.#keys = keys;
    return true;
  }

  static #currentOf(keys: readonly StoredKey[]): { id: string; key: KeyObject } {
    const current = keys.findLast((k) => k.validUntil === null);
    if (!current) throw new Error('no current list-signing key');
    const key = createPrivateKey({
      key: Buffer.from(current.privateKey, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
    // A stored key whose private half does not match its public half would sign what no lane accepts.
    if (rawPublicKey(createPublicKey(key)) !== current.publicKey)
      throw new Error('list-signing key: private and public halves differ');
    return { id: current.id, key };
  }

  /** The id of the key that signs now. */
  get currentId(): string {
    return this.#current.id;
  }

  /** Every public key, oldest first, with its endorsement: what lanes are given. */
  publicKeys(): ListSigningKey[] {
    return this.#keys.map(publicPart);
  }

  /** The public keys and the current one (the admin answer). */
  answer(): ListSigningKeysAnswer {
    return { current: this.currentId, keys: this.publicKeys() };
  }

  /** `keyId:base64` of the current key's signature over a UTF-8 message. */
  sign(message: string): string {
    return formatListSignature(
      this.#current.id,
      sign(null, Buffer.from(message, 'utf8'), this.#current.key).toString('base64'),
    );
  }

  /** The signature over what a lane will hold (see `listSignatureMessage`). */
  signList(facts: SignedListFacts): string {
    return this.sign(listSignatureMessage(facts));
  }

  /** The signature over a checkpoint config as lanes at that checkpoint get it (CLCFG1). */
  signCheckpoint(config: CheckpointConfig): string {
    const digest = createHash('sha256').update(canonicalCheckpointConfig(config), 'utf8').digest('hex');
    return this.sign(checkpointConfigMessage(config.id, digest));
  }

  /** The signature over a checkpoint config and its vehicle mode (CLCFG2). */
  signCheckpointV2(config: CheckpointConfig): string {
    const digest = createHash('sha256').update(canonicalCheckpointConfigV2(config), 'utf8').digest('hex');
    return this.sign(checkpointConfigMessageV2(config.id, digest));
  }

  /**
   * Both signatures a checkpoint config goes out with: CLCFG1, which lanes from before CLCFG2
   * verify (they ignore the other field), and CLCFG2, which newer lanes prefer.
   */
  checkpointSignatures(config: CheckpointConfig): Required<CheckpointSignatures> {
    return {
      checkpointSignature: this.signCheckpoint(config),
      checkpointSignatureV2: this.signCheckpointV2(config),
    };
  }

  /** The signature over the officer roster a checkpoint's lanes get (CLROS1). */
  signRoster(checkpointId: string, roster: Pick<OfficerRoster, 'version' | 'officers'>): string {
    const h = createHash('sha256');
    for (const o of roster.officers) h.update(canonicalRosterLine(o), 'utf8');
    return this.sign(rosterMessage(checkpointId, roster.version, h.digest('hex')));
  }

  /**
   * Makes a new current key, endorsed by the current one, which stays valid for lanes until
   * `now + overlapMs` and signs nothing more. Stored, with the audit record `record` makes of the
   * answer, in one transaction before it is used; nothing changes if that fails.
   */
  async rotate(
    now: number,
    record?: (answer: ListSigningKeysAnswer) => AuditEntry,
    overlapMs = SIGNING_KEY_OVERLAP_MS,
  ): Promise<ListSigningKeysAnswer> {
    const out: {
      made?: { keys: StoredKey[]; current: { id: string; key: KeyObject }; answer: ListSigningKeysAnswer };
    } = {};
    // Built from the stored keys under their lock: another server's rotation is never lost.
    await this.settings.update(SIGNING_KEYS_SETTING, (stored) => {
      const keys = stored === null ? this.#keys : parseStored(stored);
      const old = keys.findLast((k) => k.validUntil === null);
      if (!old) throw new Error('no current list-signing key');
      const oldKey = ListSigner.#currentOf(keys).key;
      const validUntil = now + overlapMs;
      const { stored: fresh } = newKey(now);
      const endorsement = sign(
        null,
        Buffer.from(keyEndorsementMessage(fresh, { id: old.id, validUntil }), 'utf8'),
        oldKey,
      ).toString('base64');
      const next = [
        ...keys.map((k) => (k.id === old.id ? { ...k, validUntil } : k)),
        { ...fresh, endorsement: { by: old.id, signature: endorsement } },
      ];
      const current = ListSigner.#currentOf(next);
      const answer: ListSigningKeysAnswer = { current: current.id, keys: next.map(publicPart) };
      out.made = { keys: next, current, answer };
      const audit = record?.(answer);
      return { value: Buffer.from(JSON.stringify(next)), ...(audit && { audit }) };
    });
    if (!out.made) throw new Error('list-signing key rotation made no key');
    const { keys, current, answer } = out.made;
    this.#keys = keys;
    this.#current = current;
    return answer;
  }
}

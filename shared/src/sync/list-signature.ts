// The exact bytes a list signature covers, defined once: the sync server signs them, the lane
// builds them again from what it is about to apply and verifies. Pure text here; hashing and
// Ed25519 stay in Node code (the server's lists/list-signing.ts, the lane's sync/list-trust.ts).
import type { ListName } from '../schemas/list-schemas.js';

/** Snapshot answer header: `keyId:base64` of the Ed25519 signature over the snapshot's message. */
export const LIST_SIGNATURE_HEADER = 'x-list-signature';
/** Snapshot answer header: the number of entries the lane holds once the snapshot is applied. */
export const LIST_COUNT_HEADER = 'x-list-count';
/** Snapshot answer header: when the server signed the answer (epoch ms, the signed `issuedAt`). */
export const LIST_ISSUED_AT_HEADER = 'x-list-issued-at';

/** First line of every list signature message (the format's name and version). */
export const LIST_SIGNATURE_FORMAT = 'CLSIG2';
/** First line of every key endorsement message. */
export const KEY_ENDORSEMENT_FORMAT = 'CLKEY1';

/** A list-signing key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key. */
export const LIST_SIGNING_KEY_ID_PATTERN = '^[0-9a-f]{16}$';
/** `keyId:base64` of a 64-byte Ed25519 signature. */
export const LIST_SIGNATURE_PATTERN = '^[0-9a-f]{16}:[A-Za-z0-9+/]{86}==$';

/** What signed list data is: a whole list, a delta, or urgent health entries pushed ahead of their delta. */
export type SignedListKind = 'snapshot' | 'changes' | 'urgent';

/** What one list signature vouches for. */
export interface SignedListFacts {
  readonly kind: SignedListKind;
  readonly list: ListName;
  /** `listSignatureScope(list, checkpointId, keyId)`: '' (health) or the checkpoint (whitelist), then `#k{keyId}` unless key 0. */
  readonly scope: string;
  /** The version a delta applies on (0 for a snapshot). */
  readonly fromVersion: number;
  /** The version the lane holds after applying. */
  readonly toVersion: number;
  /**
   * Snapshot and changes: the entries the lane holds for this list and scope after applying.
   * Urgent: the number of changes pushed.
   */
  readonly count: number;
  /**
   * When the server signed the answer (its clock, epoch ms): a lane refuses an answer older than
   * its freshness window, so a genuine old answer cannot be replayed to it forever.
   */
  readonly issuedAt: number;
  /**
   * Lower-case hex SHA-256: of the snapshot's exact body bytes, or of the changes' canonical
   * lines (`canonicalChangeLine`, each ending in `\n`, in the order sent).
   */
  readonly digest: string;
}

const DIGEST = /^[0-9a-f]{64}$/;

function naturalNumber(name: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`list signature: ${name} must be a whole number ≥ 0`);
  return String(n);
}

/** A field that must not run into the next line of a message. */
function oneLine(name: string, s: string): string {
  if (/[\n\r]/.test(s)) throw new Error(`list signature: ${name} must be one line`);
  return s;
}

/**
 * The message a list signature covers, as UTF-8 text:
 * `CLSIG2\n{kind}\n{list}\n{scope}\n{fromVersion}\n{toVersion}\n{count}\n{issuedAt}\n{digest}` (no trailing
 * newline). Throws on a value that cannot be written unambiguously.
 */
export function listSignatureMessage(f: SignedListFacts): string {
  if (!DIGEST.test(f.digest)) throw new Error('list signature: digest must be 64 lower-case hex digits');
  return [
    LIST_SIGNATURE_FORMAT,
    f.kind,
    f.list,
    oneLine('scope', f.scope),
    naturalNumber('fromVersion', f.fromVersion),
    naturalNumber('toVersion', f.toVersion),
    naturalNumber('count', f.count),
    naturalNumber('issuedAt', f.issuedAt),
    f.digest,
  ].join('\n');
}

/**
 * The scope a list's signature is bound to: the whitelist a lane gets is cut for its checkpoint
 * (a signature for one checkpoint's whitelist must not verify at another), the health list is
 * the same for every lane of a key scope; both are bound to the list key they are keyed with.
 */
export function listSignatureScope(list: ListName, checkpointId: string, keyId = 0): string {
  const base = list === 'whitelist' ? checkpointId : '';
  // The list key the entries are keyed with is signed too (`#k{id}`; key 0, the fleet-wide key of
  // servers before key scopes, adds nothing), so an answer keyed for one scope never verifies as
  // another's.
  return keyId === 0 ? base : `${base}#k${keyId}`;
}

/** A field of a change's entry in canonical form: absent '', else its JSON text (never empty). */
function field(entry: Readonly<Record<string, unknown>>, name: string): string {
  return Object.hasOwn(entry, name) && entry[name] !== undefined ? JSON.stringify(entry[name]) : '';
}

/** A change as a delta or an urgent push carries it (the contract's `WireChange`). */
export interface CanonicalChange {
  readonly key: string;
  readonly op: string;
  readonly entry?: object | undefined;
}

/** The entry fields a lane reads, in canonical order. */
const ENTRY_FIELDS = [
  'status',
  'since',
  'until',
  'category',
  'validFrom',
  'validUntil',
  'checkpoints',
] as const;

/**
 * One change in canonical form, computed from the decoded object (so JSON spacing, key order
 * and escapes on the wire do not matter): `key\top\tentry?\t` + each entry field of
 * `ENTRY_FIELDS` as JSON or '' when absent, tab-separated, then `\n`. `entry?` is `-` without
 * an entry, `+` with one. JSON text never holds a raw tab or newline, so the form is unambiguous.
 */
export function canonicalChangeLine(c: CanonicalChange): string {
  const parts = [oneLine('key', c.key), c.op];
  if (c.entry === undefined) parts.push('-');
  else {
    const entry = c.entry as Readonly<Record<string, unknown>>;
    parts.push('+', ...ENTRY_FIELDS.map((name) => field(entry, name)));
  }
  return `${parts.join('\t')}\n`;
}

/** The header or body form of a signature: `keyId:base64`. */
export function formatListSignature(keyId: string, signatureBase64: string): string {
  return `${keyId}:${signatureBase64}`;
}

/** A signature's key id and base64 value, or null when the text is not `keyId:base64` of 64 bytes. */
export function parseListSignature(text: string): { keyId: string; signature: string } | null {
  if (!new RegExp(LIST_SIGNATURE_PATTERN).test(text)) return null;
  const [keyId = '', signature = ''] = text.split(':');
  return { keyId, signature };
}

/** A key as an endorsement names it. */
export interface EndorsedKeyFacts {
  readonly id: string;
  /** Base64 of the raw 32-byte Ed25519 public key. */
  readonly publicKey: string;
  readonly validFrom: number;
}

/**
 * The message a key endorsement covers: the key that was current (`signer`) vouches for the new
 * key and says when it stops being valid itself.
 * `CLKEY1\n{id}\n{publicKey}\n{validFrom}\n{signerId}\n{signerValidUntil}`.
 */
export function keyEndorsementMessage(
  key: EndorsedKeyFacts,
  signer: { id: string; validUntil: number },
): string {
  return [
    KEY_ENDORSEMENT_FORMAT,
    oneLine('id', key.id),
    oneLine('publicKey', key.publicKey),
    naturalNumber('validFrom', key.validFrom),
    oneLine('signer', signer.id),
    naturalNumber('signerValidUntil', signer.validUntil),
  ].join('\n');
}

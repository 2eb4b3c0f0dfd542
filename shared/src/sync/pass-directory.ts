// The pass directory a lane syncs (`GET /api/v1/kiosk/passes`): the public pass keys, each with
// its period, and the revoked passes not yet expired. The server signs the canonical message
// below with its list-signing key (the `x-list-signature` key and `keyId:base64` form) and sends
// the signature in `x-passes-signature`; the lane rebuilds the message from the body it decoded
// and verifies before it applies the directory. Pure text here; Ed25519 stays in Node code.
import Type, { type Static } from 'typebox';
import { Counter, EpochMs } from '../schemas/bounds.js';
import { PASS_ID_PATTERN } from '../passes/pass-codec.js';

/** Answer header: `keyId:base64` of the list-signing key's signature over `passDirectoryMessage`. */
export const PASSES_SIGNATURE_HEADER = 'x-passes-signature';
/** First line of every pass directory message (the format's name and version). */
export const PASS_DIRECTORY_FORMAT = 'CLPAS1';
/** Most pass keys a directory holds (keyId is one byte). */
export const PASS_DIRECTORY_MAX_KEYS = 255;
/** Most revoked passes a directory holds. */
export const PASS_DIRECTORY_MAX_REVOKED = 100_000;

/** A pass key's public half: base64url (no padding) of the raw 32-byte Ed25519 public key. */
export const PASS_PUBLIC_KEY_PATTERN = '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$';

/** A public pass key and the period in which passes it signed may begin. */
export const PassKeySchema = Type.Object({
  /** The pass's byte 1: 1..255. */
  keyId: Type.Integer({ minimum: 1, maximum: 255 }),
  publicKey: Type.String({
    pattern: PASS_PUBLIC_KEY_PATTERN,
    description: 'base64url of the raw 32-byte Ed25519 public key',
  }),
  /** Epoch ms: a pass whose validFrom is before this is not this key's. */
  validFrom: EpochMs(),
  /** Epoch ms: a pass whose validFrom is after this is refused (a rotated-out key); null while current. */
  validUntil: Type.Union([EpochMs(), Type.Null()]),
});
/** A public pass key and its period (both bounds inclusive, null: open). */
export type PassKey = Readonly<Static<typeof PassKeySchema>>;

/** A revoked pass, listed until the pass itself expires. */
export const RevokedPassSchema = Type.Object({
  passId: Type.String({ pattern: PASS_ID_PATTERN }),
  /** The pass's validUntil (epoch ms): after it the entry can go. */
  until: EpochMs(),
});
/** A revoked pass. */
export type RevokedPass = Readonly<Static<typeof RevokedPassSchema>>;

/** Answer of `GET /api/v1/kiosk/passes` (decode with `decodeAs(PassDirectory, body)`). */
export const PassDirectory = Type.Object({
  /** Rises by one at each change (a key added or retired, a pass revoked). */
  version: Counter(),
  keys: Type.Array(PassKeySchema, { maxItems: PASS_DIRECTORY_MAX_KEYS }),
  revoked: Type.Array(RevokedPassSchema, { maxItems: PASS_DIRECTORY_MAX_REVOKED }),
});
/** The pass directory a lane holds. */
export type PassDirectory = Static<typeof PassDirectory>;
/** The same schema under the name of its first commit. */
export const PassDirectoryAnswer = PassDirectory;

/** Body of the lane event `passes`: the directory is at a new version, fetch it. */
export const PassesEventSchema = Type.Object({ version: Counter() });

const PUBLIC_KEY = new RegExp(PASS_PUBLIC_KEY_PATTERN);
const PASS_ID = new RegExp(PASS_ID_PATTERN);

function whole(name: string, n: number, min: number, max: number): string {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`pass directory: ${name} must be a whole number ${min}..${max}`);
  }
  return String(n);
}

const EPOCH_MAX = 253_402_300_799_999;

/**
 * The message the directory's signature covers, as UTF-8 text (lines joined by `\n`, no trailing
 * newline):
 * ```
 * CLPAS1
 * {version}
 * keys {n}
 * {keyId} {publicKey} {validFrom} {validUntil or -}     (n lines, by keyId, then validFrom)
 * revoked {m}
 * {passId} {until}                                       (m lines, by passId, then until)
 * ```
 * Computed from the decoded values, so JSON order and spacing do not matter. Throws on a value
 * that cannot be written unambiguously.
 */
export function passDirectoryMessage(doc: PassDirectory): string {
  const keys = doc.keys.map((k) => {
    if (!PUBLIC_KEY.test(k.publicKey))
      throw new Error('pass directory: publicKey must be base64url of 32 bytes');
    return {
      keyId: k.keyId,
      validFrom: k.validFrom,
      line: [
        whole('keyId', k.keyId, 1, 255),
        k.publicKey,
        whole('validFrom', k.validFrom, 0, EPOCH_MAX),
        k.validUntil === null ? '-' : whole('validUntil', k.validUntil, 0, EPOCH_MAX),
      ].join(' '),
    };
  });
  keys.sort((a, b) => a.keyId - b.keyId || a.validFrom - b.validFrom || compare(a.line, b.line));
  const revoked = doc.revoked.map((r) => {
    if (!PASS_ID.test(r.passId)) throw new Error('pass directory: passId must be 16 lower-case hex digits');
    return `${r.passId} ${whole('until', r.until, 0, EPOCH_MAX)}`;
  });
  revoked.sort(compare);
  return [
    PASS_DIRECTORY_FORMAT,
    whole('version', doc.version, 0, Number.MAX_SAFE_INTEGER),
    `keys ${keys.length}`,
    ...keys.map((k) => k.line),
    `revoked ${revoked.length}`,
    ...revoked,
  ].join('\n');
}

/** Code-unit order (not locale order): the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

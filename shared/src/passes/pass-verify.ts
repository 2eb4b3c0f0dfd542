// Checks a lane pass's signature and validity against the pass keys a lane synced. Node only
// (node:crypto's Ed25519): imported as `@checkpoint-lane/shared/pass-verify`, never from the
// package's browser-safe index, so the display and console bundles stay free of it.
// The one Node import in shared (see above and node-crypto.d.ts); the index never reaches it.
// eslint-disable-next-line no-restricted-imports
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { PassVerdict } from '../decision/reason-codes.js';
import type { PassKey } from '../sync/pass-directory.js';
import type { ParsedPass } from './pass-codec.js';

export type { PassVerdict } from '../decision/reason-codes.js';
export type { PassKey } from '../sync/pass-directory.js';

/** Imported public keys by their base64url text (null: not a usable Ed25519 key). */
const keyObjects = new Map<string, KeyObject | null>();
/** Keys are few (a rotation every few months); this only bounds a misbehaving caller. */
const KEY_CACHE_MAX = 1024;

function keyObject(publicKey: string): KeyObject | null {
  const cached = keyObjects.get(publicKey);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  } catch {
    key = null;
  }
  if (keyObjects.size >= KEY_CACHE_MAX) keyObjects.clear();
  keyObjects.set(publicKey, key);
  return key;
}

/**
 * The longest validity a lane accepts, ms: the server issues passes for 3 days from the travel
 * date's start (sync-server passes/pass-keys.ts `PASS_VALID_DAYS`), so a day's margin. The format
 * could say up to 65,535 minutes (45 days); a longer pass is none the server issued, made with a
 * key that leaked, and it is refused like a bad signature, so that a leaked key that was rotated
 * out mints nothing that lasts past its period by more than this.
 */
export const PASS_LONGEST_ACCEPTED_MS = 4 * 24 * 60 * 60 * 1000;

/** Does `key`, valid in its period at the pass's start, vouch for the pass's bytes? */
function signedBy(p: ParsedPass, key: PassKey): boolean {
  const { validFrom } = p.body;
  if (key.keyId !== p.body.keyId) return false;
  if (validFrom < key.validFrom || (key.validUntil !== null && validFrom > key.validUntil)) return false;
  const k = keyObject(key.publicKey);
  if (k === null) return false;
  try {
    return verify(null, p.signedBytes, k, p.signature);
  } catch {
    return false;
  }
}

/**
 * What a lane makes of a parsed pass at `now` (epoch ms). In this order: a validity longer than
 * `PASS_LONGEST_ACCEPTED_MS`, or no key with the pass's
 * keyId whose period [validFrom, validUntil] holds the pass's validFrom verifies its signature ->
 * `pass_signature_invalid` (so a rotated-out key cannot sign new passes); the pass is in
 * `revoked` (pass ids) -> `pass_revoked`; `now` before its validFrom -> `pass_not_yet_valid`;
 * after its validUntil -> `pass_expired`; else `pass_valid`. Never throws.
 */
export function checkPass(
  p: ParsedPass,
  keys: readonly PassKey[],
  revoked: ReadonlySet<string>,
  now: number,
): PassVerdict {
  if (p.body.validUntil - p.body.validFrom > PASS_LONGEST_ACCEPTED_MS) return 'pass_signature_invalid';
  if (!keys.some((key) => signedBy(p, key))) return 'pass_signature_invalid';
  if (revoked.has(p.body.passId)) return 'pass_revoked';
  if (now < p.body.validFrom) return 'pass_not_yet_valid';
  if (now > p.body.validUntil) return 'pass_expired';
  return 'pass_valid';
}

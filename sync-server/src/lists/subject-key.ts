import { createHmac, randomBytes } from 'node:crypto';
import {
  canonicalSubjectKey,
  parseSubjectKeyHex,
  subjectKeyFromDigest,
  subjectKeyToHex,
  type Subject,
} from '@checkpoint-lane/shared';
import { HmacSha256Prefix } from './hmac-prefix.js';

/** A subject key as 16 lower-case hex digits (re-exported from the domain package). */
export { subjectKeyToHex };

/** Length of the deployment-wide list key K, in bytes. */
export const LIST_KEY_BYTES = 32;

/** A fresh random list key K. */
export function generateListKey(): Buffer {
  return randomBytes(LIST_KEY_BYTES);
}

/**
 * The keyed hash lanes look subjects up by: the first 8 bytes of
 * HMAC-SHA256(K, canonicalSubjectKey(subject)), read big-endian as a signed 64-bit integer
 * (SQLite's INTEGER PRIMARY KEY). Lanes never see the raw subject.
 */
export function subjectKey(listKey: Uint8Array, subject: Subject): bigint {
  return subjectKeyFromDigest(
    createHmac('sha256', listKey).update(canonicalSubjectKey(subject), 'utf8').digest(),
  );
}

/**
 * `subjectKey` for many subjects under one list key (an import of a million rows): the same keys,
 * from the plain-JS HMAC prefix (hmac-prefix.ts) that hashes the key's pad blocks once and
 * allocates nothing per subject, where node:crypto makes an HMAC object and a buffer for each.
 */
export function subjectKeyer(listKey: Uint8Array): (subject: Subject) => bigint {
  const h = new HmacSha256Prefix(listKey);
  return (subject) => {
    h.digest(canonicalSubjectKey(subject));
    // hi: bytes 0-3 as a signed 32-bit integer, lo: bytes 4-7 unsigned; big-endian signed 64 bits.
    return (BigInt(h.hi) << 32n) | BigInt(h.lo);
  };
}

/** Reads 16 hex digits back into the signed 64-bit key. Throws on anything else. */
export function subjectKeyFromHex(hex: string): bigint {
  const key = parseSubjectKeyHex(hex);
  if (key === null) throw new Error('a subject key is 16 lower-case hex digits');
  return key;
}

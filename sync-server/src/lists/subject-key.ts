import { createHmac, randomBytes } from 'node:crypto';
import {
  canonicalSubjectKey,
  parseSubjectKeyHex,
  subjectKeyFromDigest,
  subjectKeyToHex,
  type Subject,
} from '@checkpoint-lane/shared';

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

/** Reads 16 hex digits back into the signed 64-bit key. Throws on anything else. */
export function subjectKeyFromHex(hex: string): bigint {
  const key = parseSubjectKeyHex(hex);
  if (key === null) throw new Error('a subject key is 16 lower-case hex digits');
  return key;
}

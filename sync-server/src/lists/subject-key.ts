import { createHmac, randomBytes } from 'node:crypto';
import { canonicalSubjectKey, type Subject } from '@checkpoint-lane/shared';

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
  return createHmac('sha256', listKey)
    .update(canonicalSubjectKey(subject), 'utf8')
    .digest()
    .readBigInt64BE(0);
}

/** A subject key as 16 lower-case hex digits (the first 8 HMAC bytes, as in JSON). */
export function subjectKeyToHex(key: bigint): string {
  return BigInt.asUintN(64, key).toString(16).padStart(16, '0');
}

/** Reads 16 hex digits back into the signed 64-bit key. Throws on anything else. */
export function subjectKeyFromHex(hex: string): bigint {
  if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error('a subject key is 16 lower-case hex digits');
  return BigInt.asIntN(64, BigInt(`0x${hex}`));
}

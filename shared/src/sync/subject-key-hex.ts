/**
 * Subject keys travel as 16 lower-case hex digits (the first 8 bytes of
 * HMAC-SHA256(K, canonicalSubjectKey(subject))) and are stored as a signed 64-bit integer
 * (SQLite's INTEGER PRIMARY KEY). The HMAC itself is computed where it runs (node:crypto).
 */

/** The signed 64-bit key from the first 8 bytes of an HMAC digest (big-endian). */
export function subjectKeyFromDigest(digest: Uint8Array): bigint {
  if (digest.length < 8) throw new Error('a subject key needs 8 digest bytes');
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigInt64(0);
}

/** A subject key as 16 lower-case hex digits. */
export function subjectKeyToHex(key: bigint): string {
  return BigInt.asUintN(64, key).toString(16).padStart(16, '0');
}

/** Reads 16 lower-case hex digits back into the signed key; null for anything else. */
export function parseSubjectKeyHex(hex: string): bigint | null {
  if (!/^[0-9a-f]{16}$/.test(hex)) return null;
  return BigInt.asIntN(64, BigInt(`0x${hex}`));
}

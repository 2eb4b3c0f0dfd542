// Base45 (RFC 9285): bytes as text in the QR code's alphanumeric set, so a QR of it is encoded in
// alphanumeric mode (5.5 bits a character). Written here rather than taken from npm: the npm
// `base45` package uses Node's Buffer (not browser-safe) and decodes invalid text without an error.

/** The 45 characters, in value order (RFC 9285 section 4.2). */
export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

const VALUE = new Map<string, number>(
  Array.from({ length: BASE45_ALPHABET.length }, (_, i) => [BASE45_ALPHABET.charAt(i), i]),
);

/** Encodes bytes: each pair as three characters (least significant first), a last odd byte as two. */
export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = (bytes[i] ?? 0) * 256 + (bytes[i + 1] ?? 0);
    out += (BASE45_ALPHABET[n % 45] ?? '') + (BASE45_ALPHABET[Math.floor(n / 45) % 45] ?? '');
    out += BASE45_ALPHABET[Math.floor(n / 2025)] ?? '';
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1] ?? 0;
    out += (BASE45_ALPHABET[n % 45] ?? '') + (BASE45_ALPHABET[Math.floor(n / 45)] ?? '');
  }
  return out;
}

/**
 * Decodes base45 text, or null when it is not base45: a character outside the alphabet, a length
 * of 3k + 1, a triple above 65535 or a final pair above 255 (RFC 9285 section 4.2 and 6).
 * Every text that decodes is the one `encodeBase45` makes of its bytes.
 */
export function decodeBase45(text: string): Uint8Array | null {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const c = VALUE.get(text.charAt(i));
    const d = VALUE.get(text.charAt(i + 1));
    if (c === undefined || d === undefined) return null;
    if (i + 2 < text.length) {
      const e = VALUE.get(text.charAt(i + 2));
      if (e === undefined) return null;
      const n = c + d * 45 + e * 2025;
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = c + d * 45;
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}

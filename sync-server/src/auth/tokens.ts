import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * A new 256-bit random bearer token (base64url), with an optional readable prefix. Never starts
 * with `-`: one token in 64 did, and `checkpoint-admin --token -…` then read as a missing value.
 */
export function generateToken(prefix = ''): string {
  for (;;) {
    const token = `${prefix}${randomBytes(32).toString('base64url')}`;
    if (!token.startsWith('-')) return token;
  }
}

/** SHA-256 of a token, hex. Enough for 256-bit random tokens (no password stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && ba.length > 0 && timingSafeEqual(ba, bb);
}

/** The bearer token of an `Authorization` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

// Crockford base32: no I, L, O or U, so a code read aloud or typed by a gloved hand survives.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time enrollment code like `7KQ2-M9XD` (40 random bits). */
export function generateEnrollmentCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += CODE_ALPHABET.charAt(randomInt(32));
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/** Normalises a typed code: case, spaces and dashes ignored; O→0, I/L→1 as Crockford reads them. */
export function normalizeEnrollmentCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

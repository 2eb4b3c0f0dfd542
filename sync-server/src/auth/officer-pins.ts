import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_OFFICER_PIN_MIN_DIGITS,
  OFFICER_PIN_MAX_DIGITS,
  OFFICER_PIN_MIN_DIGITS_FLOOR,
  type OfficerPinRule,
} from '@checkpoint-lane/shared';

/** An officer PIN as the admin contract takes it: digits only, at most 8. */
export { OFFICER_PIN_PATTERN as PIN_PATTERN } from '@checkpoint-lane/shared';

/**
 * The PIN rule for a server whose minimum is `minDigits` (default 6); throws unless it is an
 * integer in 4..8.
 */
export function officerPinRule(minDigits: number = DEFAULT_OFFICER_PIN_MIN_DIGITS): OfficerPinRule {
  if (
    !Number.isInteger(minDigits) ||
    minDigits < OFFICER_PIN_MIN_DIGITS_FLOOR ||
    minDigits > OFFICER_PIN_MAX_DIGITS
  ) {
    throw new RangeError(
      `the officer PIN minimum must be ${String(OFFICER_PIN_MIN_DIGITS_FLOOR)}..${String(OFFICER_PIN_MAX_DIGITS)} digits, not ${String(minDigits)}`,
    );
  }
  return { minDigits, maxDigits: OFFICER_PIN_MAX_DIGITS };
}

/**
 * Why a new or changed PIN breaks the rule (a sentence for the API's `pin_too_short` message,
 * without the PIN), or null when it may be set. Only digit strings reach this (the body pattern).
 */
export function officerPinTooShort(pin: string, rule: OfficerPinRule): string | null {
  if (pin.length >= rule.minDigits) return null;
  return (
    `a new PIN needs ${String(rule.minDigits)} to ${String(rule.maxDigits)} digits ` +
    `(this server's minimum, checkpoint-server --officer-pin-min-digits); shorter PINs already set keep working until changed`
  );
}

const SALT_LENGTH = 16;
const KEY_LENGTH = 32;
const HASH_FORMAT = /^scrypt\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

// Node's scrypt defaults (N=16384, r=8, p=1): the lane checks PINs with `scryptSync(pin, salt, 32)`.
function derive(pin: string, salt: Buffer, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, keylen, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Hashes a PIN exactly as lanes store and check it: `scrypt$<salt b64>$<hash b64>`. */
export async function hashOfficerPin(pin: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(pin, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether a PIN matches a stored lane-format hash (false for a malformed hash). */
export async function officerPinMatches(pin: string, pinHash: string): Promise<boolean> {
  const m = HASH_FORMAT.exec(pinHash);
  if (!m) return false;
  const salt = Buffer.from(m[1] ?? '', 'base64');
  const expected = Buffer.from(m[2] ?? '', 'base64');
  if (salt.length === 0 || expected.length === 0 || expected.length > 64) return false;
  const actual = await derive(pin, salt, expected.length);
  return timingSafeEqual(expected, actual);
}

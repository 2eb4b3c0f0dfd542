import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** An officer PIN: 4 to 8 digits (the admin contract's pattern). */
export { OFFICER_PIN_PATTERN as PIN_PATTERN } from '@checkpoint-lane/shared';

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

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { TaskGate } from './login-guard.js';

/** Shortest and longest password accepted (characters): the admin contract's limits. */
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@checkpoint-lane/shared';

/** The scrypt cost new hashes get (N=2^15, r=8, p=1: ~32 MiB and ~50–100 ms per hash). */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// 128·N·r bytes for N=2^15, r=8 is exactly 32 MiB; Node's default maxmem (32 MiB) is too tight.
const MAX_MEM = 64 * 1024 * 1024;
// Stored hashes may carry higher costs than today's, but not absurd ones (a corrupt row must not
// make every sign-in allocate gigabytes).
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/**
 * A hash of a random password nobody knows: sign-ins for unknown usernames verify against it,
 * so they take as long as a wrong password for a real account.
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$5vw6RQo0FrYkXjhrOPuQkQ==$ILeLKQHXuM8R7jC11doQXYcUQ6pUdBEvMT2m/Jl8xpk=';

/**
 * Two hashes at a time (libuv has four worker threads, which lanes' snapshot file I/O also
 * needs), up to 64 waiting (≈ 5 s at ~150 ms each); beyond that sign-ins get `503 busy`.
 */
const SCRYPT_GATE = new TaskGate(2, 64);

function derive(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return SCRYPT_GATE.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password.normalize('NFC'), salt, keylen, opts, (err, key) => {
          if (err) reject(err);
          else resolve(key);
        });
      }),
  );
}

/** Hashes a password as `scrypt$N$r$p$saltB64$hashB64` (NFC-normalised, random 16-byte salt). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const { N, r, p } = SCRYPT_PARAMS;
  const key = await derive(password, salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEM });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** The parts of a stored hash, or null if it is not one this module can check. */
function parseHash(stored: string): ParsedHash | null {
  const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(
    stored,
  );
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const key = Buffer.from(m[5] ?? '', 'base64');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt, key };
}

/**
 * Whether `password` matches a stored hash, with the cost parameters read from the hash itself
 * (so they can be raised later without breaking old accounts). Malformed hashes never match.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  if (h === null) return false;
  const maxmem = Math.max(MAX_MEM, 256 * h.N * h.r);
  const key = await derive(password, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p, maxmem });
  return timingSafeEqual(key, h.key);
}

/** Whether a stored hash was made with weaker parameters than today's (re-hash at next sign-in). */
export function needsRehash(stored: string): boolean {
  const h = parseHash(stored);
  return (
    h === null ||
    h.N < SCRYPT_PARAMS.N ||
    h.r < SCRYPT_PARAMS.r ||
    h.p < SCRYPT_PARAMS.p ||
    h.key.length < KEY_LENGTH
  );
}

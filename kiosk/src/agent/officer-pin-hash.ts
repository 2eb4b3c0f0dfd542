// Officer PIN hashes on a lane. The server sends scrypt hashes (`scrypt$<salt b64>$<key b64>`,
// N=16384, r=8, p=1); the lane keeps only HMAC-SHA256(pepper, scrypt key), where the pepper is a
// 32-byte secret of this lane held in its sealed store. Checking a PIN against what is on disk
// needs that pepper: without it no candidate PIN can be tested at all.
import { createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** Bytes of a lane's PIN pepper. */
export const PIN_PEPPER_BYTES = 32;

/** The server's (and a hand-written file's) form: `scrypt$<salt b64>$<key b64>`. */
const PLAIN = /^scrypt\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
/** The lane's form: `scrypt-hmac-sha256$N=…,r=…,p=…,len=…$<salt b64>$<HMAC b64>`. */
const PEPPERED =
  /^scrypt-hmac-sha256\$N=([0-9]{1,7}),r=([0-9]{1,2}),p=([0-9]),len=([0-9]{2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
/** A stored PIN hash in either form (the `officers.json` schema). */
export const STORED_PIN_HASH_PATTERN = `${PLAIN.source}|${PEPPERED.source}`;

/** Node's scrypt defaults, which the server's plain hashes use. */
const SERVER_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;

interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly len: number;
}

/** Parsed parameters within bounds a lane can afford (N ≤ 2^17, r ≤ 16, p ≤ 4, 16..64 bytes). */
function boundedParams(N: number, r: number, p: number, len: number): ScryptParams | null {
  const powerOfTwo = N >= 1024 && N <= 131_072 && (N & (N - 1)) === 0;
  if (!powerOfTwo || r < 1 || r > 16 || p < 1 || p > 4 || len < 16 || len > 64) return null;
  return { N, r, p, len };
}

/** Throws unless `pepper` is 32 bytes; answers a private copy. */
export function checkedPepper(pepper: Uint8Array): Buffer {
  if (!(pepper instanceof Uint8Array) || pepper.length !== PIN_PEPPER_BYTES) {
    throw new Error(`the officer PIN pepper must be ${String(PIN_PEPPER_BYTES)} bytes`);
  }
  return Buffer.from(pepper);
}

/** A plain scrypt hash of a PIN in the server's form (hand-written `officers.json`, tests). */
export function hashPin(pin: string): string {
  const salt = randomBytes(SALT_BYTES);
  return `scrypt$${salt.toString('base64')}$${scryptSync(pin, salt, 32).toString('base64')}`;
}

/** Whether a stored hash is in the plain (unpeppered) server form. */
export function isPlainPinHash(pinHash: string): boolean {
  return PLAIN.test(pinHash);
}

/** Whether a stored hash is in the lane's peppered form. */
export function isPepperedPinHash(pinHash: string): boolean {
  return PEPPERED.test(pinHash);
}

const mac = (pepper: Buffer, key: Buffer): Buffer => createHmac('sha256', pepper).update(key).digest();

/**
 * A plain `scrypt$salt$key` hash turned into the lane's form: the scrypt key replaced by
 * HMAC-SHA256(pepper, key). Null for a hash that is not a plain one or has an unusable salt or
 * key length (16..64 bytes).
 */
export function pepperPinHash(plain: string, pepper: Buffer): string | null {
  const m = PLAIN.exec(plain);
  if (m === null) return null;
  const salt = Buffer.from(m[1] ?? '', 'base64');
  const key = Buffer.from(m[2] ?? '', 'base64');
  const params = boundedParams(SERVER_PARAMS.N, SERVER_PARAMS.r, SERVER_PARAMS.p, key.length);
  if (salt.length === 0 || params === null) return null;
  const { N, r, p, len } = params;
  return `scrypt-hmac-sha256$N=${String(N)},r=${String(r)},p=${String(p)},len=${String(len)}$${m[1] ?? ''}$${mac(pepper, key).toString('base64')}`;
}

/** scrypt in libuv's thread pool, so a check (~55 ms of CPU) never holds the event loop. */
function derive(pin: string, salt: Buffer, s: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      pin,
      salt,
      s.len,
      { N: s.N, r: s.r, p: s.p, maxmem: 128 * s.N * s.r * s.p + 1024 * 1024 },
      (e, key) => {
        if (e) reject(e);
        else resolve(key);
      },
    );
  });
}

/**
 * Does `pin` match a peppered hash? scrypt(pin, salt) with the stored parameters, then
 * HMAC-SHA256(pepper, ·), compared in constant time. False for anything not in the lane's form.
 */
export async function pepperedPinMatches(pin: string, stored: string, pepper: Buffer): Promise<boolean> {
  const m = PEPPERED.exec(stored);
  if (m === null) return false;
  const params = boundedParams(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
  const salt = Buffer.from(m[5] ?? '', 'base64');
  const expected = Buffer.from(m[6] ?? '', 'base64');
  if (params === null || salt.length === 0 || expected.length !== 32) return false;
  return timingSafeEqual(expected, mac(pepper, await derive(pin, salt, params)));
}

/**
 * A short tag naming which pepper a file's hashes were made with (HMAC of a fixed label, 8
 * bytes hex): a lane tells its own file from one peppered elsewhere without trying any PIN.
 */
export function pepperTag(pepper: Buffer): string {
  return createHmac('sha256', pepper)
    .update('checkpoint-lane officers.json pepper tag')
    .digest('hex')
    .slice(0, 16);
}

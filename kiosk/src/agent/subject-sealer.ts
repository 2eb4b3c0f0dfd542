// Seals each scan's canonical subject to the server's scan seal key (format: shared
// sync/subject-seal.ts), so the lane's outbox holds nothing the list key K or the lane opens.
import {
  createCipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  frameSealedSubject,
  SUBJECT_SEAL_INFO,
  SUBJECT_SEAL_NONCE_BYTES,
  SUBJECT_SEAL_PUBLIC_KEY_BYTES,
  SUBJECT_SEAL_TAG_BYTES,
  subjectSealHeader,
  subjectSealPlaintext,
  subjectSealSalt,
} from '@checkpoint-lane/shared';

const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

function rawPublicKey(key: KeyObject): Buffer {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('subject seal: not an X25519 key');
  return Buffer.from(x, 'base64url');
}

/** An ephemeral X25519 key a sealer keeps for a while: its raw public half and the AES key it gives. */
interface Ephemeral {
  readonly publicRaw: Buffer;
  readonly aesKey: Buffer;
  readonly madeAt: number;
  uses: number;
}

/**
 * A fresh ephemeral key against the server's key. Its private half is used once, here, and
 * dropped: what is kept is the AES key of the seals made under it (what the server derives too).
 */
function newEphemeral(serverPublicKey: Uint8Array, serverKey: KeyObject, now: number): Ephemeral {
  const ephemeral = generateKeyPairSync('x25519');
  const publicRaw = rawPublicKey(ephemeral.publicKey);
  const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: serverKey });
  const aesKey = Buffer.from(
    hkdfSync('sha256', secret, subjectSealSalt(publicRaw, serverPublicKey), SUBJECT_SEAL_INFO, 32),
  );
  return { publicRaw, aesKey, madeAt: now, uses: 0 };
}

function sealUnder(e: Ephemeral, plaintext: Uint8Array): string {
  const nonce = randomBytes(SUBJECT_SEAL_NONCE_BYTES);
  const header = subjectSealHeader(e.publicRaw, nonce);
  const cipher = createCipheriv('aes-256-gcm', e.aesKey, nonce, { authTagLength: SUBJECT_SEAL_TAG_BYTES });
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.from(frameSealedSubject(header, ciphertext, cipher.getAuthTag())).toString('base64');
}

function x25519Key(serverPublicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(serverPublicKey).toString('base64url') },
    format: 'jwk',
  });
}

/**
 * Seals `canonicalSubject` to the server's raw 32-byte X25519 public key: base64 of version,
 * ephemeral public key, nonce, AES-256-GCM ciphertext and tag. A fresh ephemeral key and nonce
 * each call. Throws on a key that is not 32 bytes or a subject too long for the schema.
 */
export function sealSubject(serverPublicKey: Uint8Array, canonicalSubject: string): string {
  if (serverPublicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
    throw new Error(`subject seal: the server public key must be ${SUBJECT_SEAL_PUBLIC_KEY_BYTES} bytes`);
  const plaintext = subjectSealPlaintext(canonicalSubject);
  return sealUnder(newEphemeral(serverPublicKey, x25519Key(serverPublicKey), 0), plaintext);
}

/** How long a sealer keeps one ephemeral key: whichever of the two limits comes first. */
export interface EphemeralReuse {
  /** Seals made under one ephemeral key, at most. */
  readonly maxSeals: number;
  /** Milliseconds an ephemeral key is used for, at most (by `clock`). */
  readonly maxAgeMs: number;
}

/**
 * 1,000 seals or 10 minutes. The server opens a lane's batch with one X25519 instead of one per
 * scan (sync-server lists/scan-seal-keys.ts keeps the AES keys it derived); what a thief reading
 * the running lane's memory gains is the AES key of at most these last seals (docs/threat-model.md).
 */
export const DEFAULT_EPHEMERAL_REUSE: EphemeralReuse = { maxSeals: 1_000, maxAgeMs: 10 * 60_000 };

/**
 * The decision loop's `sealSubject` for a server scan seal key as lanes receive it (base64 of
 * the raw 32 bytes, `scanSealKey`). Throws at once on a key of another form. Each seal has its
 * own random nonce; an ephemeral key serves up to `reuse`'s limits and lives in memory only.
 */
export function createSubjectSealer(
  scanSealKeyBase64: string,
  reuse: EphemeralReuse = DEFAULT_EPHEMERAL_REUSE,
  clock: () => number = Date.now,
): (canonicalSubject: string) => string {
  if (!KEY_BASE64.test(scanSealKeyBase64))
    throw new Error('subject seal: the scan seal key is not base64 of 32 bytes');
  const serverPublicKey = Buffer.from(scanSealKeyBase64, 'base64');
  if (serverPublicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
    throw new Error('subject seal: the scan seal key is not base64 of 32 bytes');
  // Parsing once here refuses a key X25519 cannot use before the first scan.
  const serverKey = x25519Key(serverPublicKey);
  let current: Ephemeral | null = null;
  return (canonicalSubject) => {
    const plaintext = subjectSealPlaintext(canonicalSubject);
    const now = clock();
    if (
      current === null ||
      current.uses >= reuse.maxSeals ||
      now - current.madeAt >= reuse.maxAgeMs ||
      now < current.madeAt
    )
      current = newEphemeral(serverPublicKey, serverKey, now);
    current.uses++;
    return sealUnder(current, plaintext);
  };
}

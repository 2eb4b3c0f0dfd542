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

/**
 * Seals `canonicalSubject` to the server's raw 32-byte X25519 public key: base64 of version,
 * ephemeral public key, nonce, AES-256-GCM ciphertext and tag. A fresh ephemeral key and nonce
 * each call. Throws on a key that is not 32 bytes or a subject too long for the schema.
 */
export function sealSubject(serverPublicKey: Uint8Array, canonicalSubject: string): string {
  if (serverPublicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
    throw new Error(`subject seal: the server public key must be ${SUBJECT_SEAL_PUBLIC_KEY_BYTES} bytes`);
  const plaintext = subjectSealPlaintext(canonicalSubject);
  const serverKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(serverPublicKey).toString('base64url') },
    format: 'jwk',
  });
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawPublicKey(ephemeral.publicKey);
  const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: serverKey });
  const key = Buffer.from(
    hkdfSync('sha256', secret, subjectSealSalt(ephemeralPublic, serverPublicKey), SUBJECT_SEAL_INFO, 32),
  );
  const nonce = randomBytes(SUBJECT_SEAL_NONCE_BYTES);
  const header = subjectSealHeader(ephemeralPublic, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SUBJECT_SEAL_TAG_BYTES });
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.from(frameSealedSubject(header, ciphertext, cipher.getAuthTag())).toString('base64');
}

/**
 * The decision loop's `sealSubject` for a server scan seal key as lanes receive it (base64 of
 * the raw 32 bytes, `scanSealKey`). Throws at once on a key of another form.
 */
export function createSubjectSealer(scanSealKeyBase64: string): (canonicalSubject: string) => string {
  if (!KEY_BASE64.test(scanSealKeyBase64))
    throw new Error('subject seal: the scan seal key is not base64 of 32 bytes');
  const serverPublicKey = Buffer.from(scanSealKeyBase64, 'base64');
  if (serverPublicKey.length !== SUBJECT_SEAL_PUBLIC_KEY_BYTES)
    throw new Error('subject seal: the scan seal key is not base64 of 32 bytes');
  // Parsing once here refuses a key X25519 cannot use before the first scan.
  createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: serverPublicKey.toString('base64url') },
    format: 'jwk',
  });
  return (canonicalSubject) => sealSubject(serverPublicKey, canonicalSubject);
}

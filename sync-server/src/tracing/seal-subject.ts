// The server sealing a subject to its own scan seal key (format: shared sync/subject-seal.ts), as
// a lane would: a trace keeps the index subjects an admin typed (or the F0s it took from the
// health list) only as such seals, opened again when a page of evidence is shown.
import {
  createCipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import {
  frameSealedSubject,
  SUBJECT_SEAL_INFO,
  SUBJECT_SEAL_NONCE_BYTES,
  SUBJECT_SEAL_TAG_BYTES,
  subjectSealHeader,
  subjectSealPlaintext,
  subjectSealSalt,
} from '@checkpoint-lane/shared';
import { rawX25519PublicKey } from '../lists/scan-seal-keys.js';

/**
 * Seals a canonical subject (`kind:value`) to the server's scan seal public key (base64 of the
 * raw 32 bytes, `ScanSealKeys.publicKeyBase64()`): a fresh ephemeral key and nonce each call.
 */
export function sealToServer(serverPublicBase64: string, canonical: string): string {
  const serverPublic = Buffer.from(serverPublicBase64, 'base64');
  const serverKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: serverPublic.toString('base64url') },
    format: 'jwk',
  });
  const plaintext = subjectSealPlaintext(canonical);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawX25519PublicKey(ephemeral.publicKey);
  const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: serverKey });
  const key = Buffer.from(
    hkdfSync('sha256', secret, subjectSealSalt(ephemeralPublic, serverPublic), SUBJECT_SEAL_INFO, 32),
  );
  const nonce = randomBytes(SUBJECT_SEAL_NONCE_BYTES);
  const header = subjectSealHeader(ephemeralPublic, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SUBJECT_SEAL_TAG_BYTES });
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.from(frameSealedSubject(header, ciphertext, cipher.getAuthTag())).toString('base64');
}

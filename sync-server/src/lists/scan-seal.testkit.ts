import {
  createCipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { SUBJECT_SEAL_INFO } from '@checkpoint-lane/shared';
import { rawX25519PublicKey } from './scan-seal-keys.js';

/**
 * The lane's sealing (kiosk/src/agent/subject-sealer.ts), written again here from the format in
 * shared/src/sync/subject-seal.ts: the server must not import kiosk code, and two writings of
 * the format that agree check each other.
 */
export function sealAsLane(serverPublicBase64: string, canonical: string): string {
  return laneSealer(serverPublicBase64)(canonical);
}

/**
 * A lane's sealer that keeps one ephemeral key for every seal it makes (as a lane does for a
 * while: kiosk agent/subject-sealer.ts), each seal with its own nonce.
 */
export function laneSealer(serverPublicBase64: string): (canonical: string) => string {
  const serverPublic = Buffer.from(serverPublicBase64, 'base64');
  const serverKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: serverPublic.toString('base64url') },
    format: 'jwk',
  });
  const eph = generateKeyPairSync('x25519');
  const ephPublic = rawX25519PublicKey(eph.publicKey);
  const secret = diffieHellman({ privateKey: eph.privateKey, publicKey: serverKey });
  const key = Buffer.from(
    hkdfSync('sha256', secret, Buffer.concat([ephPublic, serverPublic]), SUBJECT_SEAL_INFO, 32),
  );
  return (canonical) => {
    const nonce = randomBytes(12);
    const header = Buffer.concat([Buffer.of(1), ephPublic, nonce]);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(canonical, 'utf8'), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]).toString('base64');
  };
}

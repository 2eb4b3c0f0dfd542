import {
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import {
  SUBJECT_SEAL_INFO,
  SUBJECT_SEAL_MAX_PLAINTEXT_BYTES,
  SUBJECT_SEALED_MAX_LENGTH,
  sealedSubjectLength,
} from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { createSubjectSealer, sealSubject } from './subject-sealer.js';

function raw(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

/**
 * The server's opening (sync-server lists/scan-seal-keys.ts), written again here from the format
 * in shared/src/sync/subject-seal.ts: the lane does not import server code, and two writings of
 * the format that agree check each other.
 */
function openAsServer(privateKey: KeyObject, sealed: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  expect(bytes[0]).toBe(1);
  const ephPublic = bytes.subarray(1, 33);
  const nonce = bytes.subarray(33, 45);
  const secret = diffieHellman({
    privateKey,
    publicKey: createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: ephPublic.toString('base64url') },
      format: 'jwk',
    }),
  });
  const serverPublic = raw(createPublicKey(privateKey));
  const key = Buffer.from(
    hkdfSync('sha256', secret, Buffer.concat([ephPublic, serverPublic]), SUBJECT_SEAL_INFO, 32),
  );
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(bytes.subarray(0, 45));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(45, bytes.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}

describe('sealSubject', () => {
  const server = generateKeyPairSync('x25519');
  const serverPublic = raw(server.publicKey);

  it('seals so that only the server key opens it, fresh each time', () => {
    const a = sealSubject(serverPublic, 'personal_id:001203004005');
    const b = sealSubject(serverPublic, 'personal_id:001203004005');
    expect(a).not.toBe(b);
    expect(openAsServer(server.privateKey, a)).toBe('personal_id:001203004005');
    expect(openAsServer(server.privateKey, b)).toBe('personal_id:001203004005');
    expect(() => openAsServer(generateKeyPairSync('x25519').privateKey, a)).toThrow();
    expect(a).not.toContain('001203004005');
    expect(Buffer.from(a, 'base64').toString('latin1')).not.toContain('001203004005');
  });

  it('fits every subject kind well inside the schema and refuses one too long for it', () => {
    for (const c of ['personal_id:001203004005', 'passport:AB12345678', 'plate:51AB123456']) {
      const sealed = sealSubject(serverPublic, c);
      expect(sealed.length).toBe(sealedSubjectLength(c.length));
      expect(sealed.length).toBeLessThan(128);
    }
    const longest = 'x'.repeat(SUBJECT_SEAL_MAX_PLAINTEXT_BYTES);
    expect(sealSubject(serverPublic, longest).length).toBeLessThanOrEqual(SUBJECT_SEALED_MAX_LENGTH);
    expect(() => sealSubject(serverPublic, `${longest}x`)).toThrow(/at most 323 fit the 512-character/);
    expect(() => sealSubject(serverPublic, '')).toThrow(/empty/);
    expect(() => sealSubject(serverPublic.subarray(1), 'plate:51F12345')).toThrow(/32 bytes/);
  });
});

describe('createSubjectSealer', () => {
  it('takes the scan seal key as lanes receive it and refuses any other form at once', () => {
    const server = generateKeyPairSync('x25519');
    const seal = createSubjectSealer(raw(server.publicKey).toString('base64'));
    expect(openAsServer(server.privateKey, seal('plate:51F12345'))).toBe('plate:51F12345');
    expect(() => createSubjectSealer('')).toThrow(/not base64 of 32 bytes/);
    expect(() => createSubjectSealer(Buffer.alloc(31).toString('base64'))).toThrow(/not base64 of 32 bytes/);
    expect(() => createSubjectSealer(`${raw(server.publicKey).toString('base64').slice(0, -1)}!`)).toThrow(
      /not base64 of 32 bytes/,
    );
  });

  it('keeps one ephemeral key for up to maxSeals seals or maxAgeMs, a new nonce each seal', () => {
    const server = generateKeyPairSync('x25519');
    let now = 1_000_000;
    const seal = createSubjectSealer(
      raw(server.publicKey).toString('base64'),
      { maxSeals: 3, maxAgeMs: 60_000 },
      () => now,
    );
    const ephemeralOf = (sealed: string): string =>
      Buffer.from(sealed, 'base64').subarray(1, 33).toString('hex');
    const nonceOf = (sealed: string): string =>
      Buffer.from(sealed, 'base64').subarray(33, 45).toString('hex');
    const subjects = ['personal_id:001203004005', 'passport:AB12345678', 'plate:51F12345', 'plate:51F12346'];
    const sealed = subjects.map(seal);
    sealed.forEach((x, i) => {
      expect(openAsServer(server.privateKey, x)).toBe(subjects[i]);
    });
    // Three seals share a key, the fourth starts another; every nonce differs.
    expect(new Set(sealed.slice(0, 3).map(ephemeralOf)).size).toBe(1);
    expect(ephemeralOf(sealed[3]!)).not.toBe(ephemeralOf(sealed[0]!));
    expect(new Set(sealed.map(nonceOf)).size).toBe(4);
    // Time: a key older than maxAgeMs is replaced; so is one from the future (clock set back).
    const a = seal('plate:51F12347');
    now += 60_000;
    const b = seal('plate:51F12347');
    expect(ephemeralOf(b)).not.toBe(ephemeralOf(a));
    now -= 1;
    expect(ephemeralOf(seal('plate:51F12347'))).not.toBe(ephemeralOf(b));
  });

  it('never shares an ephemeral key between two sealers', () => {
    const server = generateKeyPairSync('x25519');
    const key = raw(server.publicKey).toString('base64');
    const one = createSubjectSealer(key)('plate:51F12345');
    const two = createSubjectSealer(key)('plate:51F12345');
    expect(one.slice(0, 44)).not.toBe(two.slice(0, 44));
  });
});

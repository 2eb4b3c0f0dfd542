import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BASE45_ALPHABET } from './base45.js';
import {
  formatPass,
  parsePass,
  passBodyProblem,
  passSigningBytes,
  PASS_MAX_TEXT_LENGTH,
  type ParsedPass,
  type PassBody,
} from './pass-codec.js';
import { checkPass, PASS_LONGEST_ACCEPTED_MS, type PassKey } from './pass-verify.js';

const MIN = 60_000;
const HOUR_MS = 60 * MIN;
const DAY = 24 * HOUR_MS;
const t0 = Date.UTC(2026, 11, 1, 0, 0, 0);

function keyPair(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('no x');
  return { privateKey, publicKey: x };
}
const k3 = keyPair();
const k4 = keyPair();

const body: PassBody = {
  keyId: 3,
  passId: '0123456789abcdef',
  personalId: '001090123456',
  validFrom: t0,
  validUntil: t0 + 3 * DAY,
  from: { province: 1, district: 1, ward: 4 },
  to: { province: 79, district: 760, ward: 26734 },
  plate: '51F12345',
};

const signWith = (b: PassBody, key: KeyObject = k3.privateKey): Uint8Array =>
  sign(null, passSigningBytes(b), key);
const issue = (b: PassBody, key: KeyObject = k3.privateKey): string => formatPass(b, signWith(b, key));

function parsed(text: string): ParsedPass {
  const r = parsePass(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const keys: PassKey[] = [{ keyId: 3, publicKey: k3.publicKey, validFrom: t0 - 30 * DAY, validUntil: null }];
const none = new Set<string>();
const during = t0 + DAY;

describe('CLP1 codec', () => {
  it('round-trips a pass with and without plate and areas', () => {
    for (const b of [
      body,
      { ...body, plate: null, from: { province: 48, district: null, ward: null } },
      { ...body, plate: '59X112345', validUntil: t0 + 65535 * MIN },
      { ...body, personalId: '000000000000', keyId: 255, passId: 'ffffffffffffffff' },
      { ...body, personalId: '999999999999', validFrom: 0, validUntil: MIN },
      { ...body, to: { province: 99, district: 999, ward: 99999 } },
    ]) {
      const text = issue(b);
      expect(text).toMatch(/^CLP1:[0-9A-Z $%*+\-./:]+$/);
      expect(text.length).toBeLessThanOrEqual(PASS_MAX_TEXT_LENGTH);
      const p = parsed(text);
      expect(p.body).toEqual(b);
      expect(p.signedBytes).toEqual(passSigningBytes(b));
      expect(
        checkPass(
          p,
          [
            { ...keys[0]!, validFrom: 0 },
            { ...keys[0]!, keyId: 255, validFrom: 0 },
          ],
          none,
          b.validFrom,
        ),
        // The format holds 65,535 minutes; a lane accepts no pass longer than the server issues.
      ).toBe(b.validUntil - b.validFrom > PASS_LONGEST_ACCEPTED_MS ? 'pass_signature_invalid' : 'pass_valid');
    }
  });

  it('binds every field: a body changed in any one field no longer verifies', () => {
    const signature = signWith(body);
    const changed: PassBody[] = [
      { ...body, keyId: 4 },
      { ...body, passId: '0123456789abcdee' },
      { ...body, personalId: '001090123457' },
      { ...body, validFrom: t0 - 1000, validUntil: t0 - 1000 + 3 * DAY },
      { ...body, validUntil: t0 + 3 * DAY + MIN },
      { ...body, from: { ...body.from, province: 2 } },
      { ...body, from: { ...body.from, district: 2 } },
      { ...body, from: { ...body.from, ward: null } },
      { ...body, to: { ...body.to, province: 80 } },
      { ...body, to: { ...body.to, district: null } },
      { ...body, to: { ...body.to, ward: 26735 } },
      { ...body, plate: '51F12346' },
      { ...body, plate: null },
    ];
    const bothKeys = [...keys, { ...keys[0]!, keyId: 4 }];
    expect(checkPass(parsed(formatPass(body, signature)), bothKeys, none, during)).toBe('pass_valid');
    for (const b of changed) {
      expect(checkPass(parsed(formatPass(b, signature)), bothKeys, none, during)).toBe(
        'pass_signature_invalid',
      );
    }
  });

  it('one changed character never verifies: it is refused or its signature is invalid', () => {
    const text = issue(body);
    let signatureInvalid = 0;
    let refused = 0;
    for (let i = 'CLP1:'.length; i < text.length; i++) {
      for (const c of [BASE45_ALPHABET[(BASE45_ALPHABET.indexOf(text[i]!) + 1) % 45]!, '0', 'Z', ':']) {
        if (c === text[i]) continue;
        const r = parsePass(text.slice(0, i) + c + text.slice(i + 1));
        if (!r.ok) {
          expect(r.error.code).toBe('payload_field_invalid');
          refused++;
        } else {
          expect(checkPass(r.value, keys, none, during)).toBe('pass_signature_invalid');
          signatureInvalid++;
        }
      }
    }
    expect(signatureInvalid).toBeGreaterThan(refused);
    // A character inside the signature part (the last 96 characters) keeps the pass readable.
    const last = text.length - 10;
    const swapped = text.slice(0, last) + (text[last] === '0' ? '1' : '0') + text.slice(last + 1);
    expect(checkPass(parsed(swapped), keys, none, during)).toBe('pass_signature_invalid');
  });

  it('refuses malformed texts with a stable code and no value in the message', () => {
    expect(parsePass('001090123456')).toEqual({
      ok: false,
      error: { code: 'payload_unknown_format', message: 'not a lane pass' },
    });
    expect(parsePass('clp1:ABC').ok).toBe(false);
    const text = issue(body);
    for (const bad of [
      'CLP1:',
      'CLP1:A',
      'CLP1:abc',
      `${text}00`,
      text.slice(0, -3),
      `${text}${'0'.repeat(200)}`,
      'CLP1:GGW',
      `CLP1:${text.slice(5).replace(/^.../, '000')}`, // version 0
    ]) {
      const r = parsePass(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('payload_field_invalid');
        expect(r.error.message).not.toContain('001090123456');
      }
    }
  });

  it('will not write a body that is not a pass (server side: RangeError)', () => {
    const bad: PassBody[] = [
      { ...body, keyId: 0 },
      { ...body, keyId: 256 },
      { ...body, passId: '0123456789ABCDEF' },
      { ...body, personalId: '12345' },
      { ...body, validFrom: t0 + 1 },
      { ...body, validFrom: -1000 },
      { ...body, validUntil: body.validFrom },
      { ...body, validUntil: body.validFrom + 30_000 },
      { ...body, validUntil: body.validFrom + 65536 * MIN },
      { ...body, from: { province: 0, district: null, ward: null } },
      { ...body, from: { province: 100, district: null, ward: null } },
      { ...body, to: { province: 1, district: 1000, ward: null } },
      { ...body, to: { province: 1, district: 0, ward: null } },
      { ...body, to: { province: 1, district: 1, ward: 100_000 } },
      { ...body, plate: '51F-123.45' },
      { ...body, plate: 'ABC' },
      { ...body, plate: '' },
    ];
    for (const b of bad) {
      expect(passBodyProblem(b)).not.toBeNull();
      expect(() => passSigningBytes(b)).toThrow(RangeError);
    }
    expect(() => formatPass(body, new Uint8Array(63))).toThrow(RangeError);
    expect(passBodyProblem(body)).toBeNull();
  });
});

describe('checkPass', () => {
  const p = parsed(issue(body));

  it('answers by the pass window, both ends inclusive', () => {
    expect(checkPass(p, keys, none, t0)).toBe('pass_valid');
    expect(checkPass(p, keys, none, t0 + 3 * DAY)).toBe('pass_valid');
    expect(checkPass(p, keys, none, t0 - 1)).toBe('pass_not_yet_valid');
    expect(checkPass(p, keys, none, t0 + 3 * DAY + 1)).toBe('pass_expired');
  });

  it('refuses a revoked pass, a signature check first', () => {
    expect(checkPass(p, keys, new Set([body.passId]), during)).toBe('pass_revoked');
    expect(checkPass(p, keys, new Set(['0000000000000000']), during)).toBe('pass_valid');
    const forged = parsed(formatPass(body, new Uint8Array(64)));
    expect(checkPass(forged, keys, new Set([body.passId]), during)).toBe('pass_signature_invalid');
  });

  it('needs a key of the pass keyId whose period holds the pass start', () => {
    expect(checkPass(p, [], none, during)).toBe('pass_signature_invalid');
    expect(checkPass(p, [{ ...keys[0]!, keyId: 4 }], none, during)).toBe('pass_signature_invalid');
    expect(checkPass(p, [{ ...keys[0]!, publicKey: k4.publicKey }], none, during)).toBe(
      'pass_signature_invalid',
    );
    expect(checkPass(p, [{ ...keys[0]!, validFrom: t0 + 1 }], none, during)).toBe('pass_signature_invalid');
    expect(checkPass(p, [{ ...keys[0]!, validUntil: t0 - 1 }], none, during)).toBe('pass_signature_invalid');
    expect(checkPass(p, [{ ...keys[0]!, validFrom: t0, validUntil: t0 }], none, during)).toBe('pass_valid');
  });

  it('refuses a pass longer than any the server issues, even signed by a trusted key', () => {
    const longest = { ...body, validUntil: body.validFrom + PASS_LONGEST_ACCEPTED_MS };
    expect(checkPass(parsed(issue(longest)), keys, none, during)).toBe('pass_valid');
    const longer = { ...body, validUntil: longest.validUntil + MIN };
    expect(checkPass(parsed(issue(longer)), keys, none, during)).toBe('pass_signature_invalid');
    const formatMax = { ...body, validUntil: body.validFrom + 65535 * MIN };
    expect(checkPass(parsed(issue(formatMax)), keys, none, during)).toBe('pass_signature_invalid');
  });

  it('follows a rotation: old passes stay valid, the old key cannot start new ones', () => {
    const rotatedAt = t0 + 2 * DAY;
    const rotated: PassKey[] = [
      { keyId: 3, publicKey: k3.publicKey, validFrom: t0 - 30 * DAY, validUntil: rotatedAt },
      { keyId: 4, publicKey: k4.publicKey, validFrom: rotatedAt, validUntil: null },
    ];
    // Issued by key 3 within its period: valid after the rotation too.
    expect(checkPass(p, rotated, none, rotatedAt + DAY)).toBe('pass_valid');
    // Key 3 signing a pass that starts after its period: refused.
    const late = { ...body, validFrom: rotatedAt + MIN, validUntil: rotatedAt + DAY };
    expect(checkPass(parsed(issue(late)), rotated, none, rotatedAt + HOUR_MS)).toBe('pass_signature_invalid');
    // Key 4 signing it: valid.
    const next = { ...late, keyId: 4 };
    expect(checkPass(parsed(issue(next, k4.privateKey)), rotated, none, rotatedAt + HOUR_MS)).toBe(
      'pass_valid',
    );
  });

  it('treats an unusable public key as no key, without throwing', () => {
    const broken: PassKey[] = [
      { ...keys[0]!, publicKey: 'A'.repeat(43) },
      { ...keys[0]!, publicKey: '!' },
    ];
    expect(checkPass(p, broken, none, during)).toBe('pass_signature_invalid');
    expect(checkPass(p, [...broken, ...keys], none, during)).toBe('pass_valid');
  });
});
